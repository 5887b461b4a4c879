package gateway_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/token"
	"github.com/drayhq/dray/services/gateway"
)

// startGateway runs a gateway on a real NATS and returns its URL, the bus behind it and a
// system-admin token.
func startGateway(t *testing.T) (string, *bus.Bus, string) {
	t.Helper()
	b := bustest.Start(t).Connect(t)
	tok, _, err := token.NewStore(b.Tokens).Create(t.Context(), v1.APIToken{Name: "test-admin", SystemAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	key, err := secret.EnsureKey(filepath.Join(t.TempDir(), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := secret.NewStore(b.Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- gateway.Run(t.Context(), gateway.Options{Addr: "127.0.0.1:0", Ready: ready},
			service.Deps{Log: slog.New(slog.DiscardHandler), Bus: b, Secrets: secrets})
	}()
	t.Cleanup(func() { <-done })
	select {
	case addr := <-ready:
		return "http://" + addr, b, tok
	case err := <-done:
		t.Fatalf("gateway: %v", err)
	}
	return "", nil, ""
}

// get calls the gateway with tok as bearer token.
func get(t *testing.T, tok, u string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return http.DefaultClient.Do(req)
}

// putPromotions stores n Promotions of project, in random order, and returns their names
// sorted.
func putPromotions(t *testing.T, b *bus.Bus, project string, n int) []string {
	t.Helper()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("stage-%d.%05d.abc1234", i%7, i)
	}
	for _, i := range rand.Perm(n) {
		p := v1.Promotion{TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: "Promotion"},
			Metadata: v1.ObjectMeta{Name: names[i], Namespace: project}, Spec: v1.PromotionSpec{Stage: fmt.Sprintf("stage-%d", i%7), Freight: "abc1234"}}
		data, _ := json.Marshal(&p)
		if _, err := b.Promotions.Put(t.Context(), bus.Key(project, names[i]), data); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(names)
	return names
}

// TestListPages: following the continue tokens of any page size reads every Promotion exactly
// once, in name order, and each answer says how many remain; the client's full list follows
// them; without a limit a page holds the default 500.
func TestListPages(t *testing.T) {
	url, b, tok := startGateway(t)
	want := putPromotions(t, b, "shop", 1234)
	putPromotions(t, b, "other", 3) // another project's stay out
	c := client.New(url, client.WithToken(tok))
	for _, limit := range []int{7, 500, 1000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var got []string
			o := client.ListOptions{Limit: limit}
			for pages := 0; ; pages++ {
				if pages > len(want) {
					t.Fatalf("more pages than Promotions: the tokens loop")
				}
				page, err := c.PromotionPage(t.Context(), "shop", o)
				if err != nil {
					t.Fatalf("PromotionPage(%+v) = %v", o, err)
				}
				if len(page.Items) > limit {
					t.Fatalf("page of limit %d holds %d", limit, len(page.Items))
				}
				for _, p := range page.Items {
					got = append(got, p.Metadata.Name)
				}
				if page.Remaining != len(want)-len(got) && page.Continue != "" {
					t.Errorf("page says %d remain, want %d", page.Remaining, len(want)-len(got))
				}
				if page.Continue == "" {
					break
				}
				o.Continue = page.Continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("pages of %d (-want +got):\n%s", limit, diff)
			}
		})
	}
	all, err := c.Promotions(t.Context(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(want) {
		t.Errorf("Promotions() = %d Promotions, want %d", len(all), len(want))
	}
	resp, err := get(t, tok, url+"/api/v1/projects/shop/promotions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var first []v1.Promotion
	if err := json.NewDecoder(resp.Body).Decode(&first); err != nil {
		t.Fatal(err)
	}
	if len(first) != 500 || resp.Header.Get(v1.HeaderContinue) == "" || resp.Header.Get(v1.HeaderRemaining) != "734" {
		t.Errorf("unpaged request: %d items, continue %q, remaining %q; want 500, a token, 734",
			len(first), resp.Header.Get(v1.HeaderContinue), resp.Header.Get(v1.HeaderRemaining))
	}
}

// TestListPageReadsOnlyItsValues: a page is answered from the keys and the page's own values;
// values outside it, even undecodable ones, are never read.
func TestListPageReadsOnlyItsValues(t *testing.T) {
	url, b, tok := startGateway(t)
	names := putPromotions(t, b, "shop", 50)
	for _, n := range names[10:] {
		if _, err := b.Promotions.Put(t.Context(), bus.Key("shop", n), []byte("{not json")); err != nil {
			t.Fatal(err)
		}
	}
	page, err := client.New(url, client.WithToken(tok)).PromotionPage(t.Context(), "shop", client.ListOptions{Limit: 10})
	if err != nil {
		t.Fatalf("first page of 10 = %v; it read values beyond the page", err)
	}
	if len(page.Items) != 10 || page.Remaining != 40 {
		t.Errorf("first page: %d items, %d remaining; want 10, 40", len(page.Items), page.Remaining)
	}
}

// TestListPagesWhileItChanges: items added or deleted between two pages never make the pages
// repeat or skip the items that stay.
func TestListPagesWhileItChanges(t *testing.T) {
	url, b, tok := startGateway(t)
	names := putPromotions(t, b, "shop", 30)
	c := client.New(url, client.WithToken(tok))
	page, err := c.PromotionPage(t.Context(), "shop", client.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, p := range page.Items {
		seen[p.Metadata.Name]++
	}
	// The last item seen goes, and one sorts before the cursor.
	if err := b.Promotions.Delete(t.Context(), bus.Key("shop", names[9])); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Promotions.Put(t.Context(), bus.Key("shop", "a-first"), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for o := (client.ListOptions{Limit: 10, Continue: page.Continue}); o.Continue != ""; o.Continue = page.Continue {
		if page, err = c.PromotionPage(t.Context(), "shop", o); err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Items {
			seen[p.Metadata.Name]++
		}
	}
	for _, n := range names {
		if seen[n] != 1 {
			t.Errorf("%s seen %d times, want once", n, seen[n])
		}
	}
}

// TestListBadPage: a limit that is not 1 to 1000, or a continue token no list gave, is a 400
// that says what to do, on every list of the API.
func TestListBadPage(t *testing.T) {
	url, _, tok := startGateway(t)
	lists := []string{"/api/v1/projects", "/api/v1/projects/shop/stages", "/api/v1/projects/shop/freight",
		"/api/v1/projects/shop/promotions", "/api/v1/projects/shop/warehouses", "/api/v1/projects/shop/secrets",
		"/api/v1/projects/shop/webhookreceivers"}
	bad := []struct{ query, says string }{
		{"limit=0", "from 1 to 1000"},
		{"limit=-5", "from 1 to 1000"},
		{"limit=ten", "from 1 to 1000"},
		{"limit=1001", "from 1 to 1000"},
		{"continue=%25%25", "start again without it"},
		{"continue=" + base64.RawURLEncoding.EncodeToString([]byte("stage-1")), "start again without it"},
		{"limit=5&continue=" + base64.RawURLEncoding.EncodeToString([]byte("1:")), "start again without it"},
	}
	for _, l := range lists {
		for _, q := range bad {
			resp, err := get(t, tok, url+l+"?"+q.query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), q.says) {
				t.Errorf("GET %s?%s = %d %s, want 400 saying %q", l, q.query, resp.StatusCode, body, q.says)
			}
		}
		resp, err := get(t, tok, url+l+"?limit=2")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s?limit=2 = %d, want 200", l, resp.StatusCode)
		}
	}
}

// TestListStagesPage: a page of Stages carries each Stage's recorded status.
func TestListStagesPage(t *testing.T) {
	url, b, tok := startGateway(t)
	for i := range 5 {
		name := fmt.Sprintf("s%d", i)
		st := v1.Stage{TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage}, Metadata: v1.ObjectMeta{Name: name, Namespace: "shop"}}
		data, _ := json.Marshal(&st)
		if _, err := b.Resources.Put(t.Context(), bus.ResourceKey("shop", v1.KindStage, name), data); err != nil {
			t.Fatal(err)
		}
		status, _ := json.Marshal(v1.StageStatus{FreightSummary: "f" + name})
		if _, err := b.Stages.Put(t.Context(), bus.Key("shop", name), status); err != nil {
			t.Fatal(err)
		}
	}
	c := client.New(url, client.WithToken(tok))
	page, err := c.StagePage(t.Context(), "shop", client.ListOptions{Limit: 2, Continue: ""})
	if err != nil {
		t.Fatal(err)
	}
	page, err = c.StagePage(t.Context(), "shop", client.ListOptions{Limit: 2, Continue: page.Continue})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range page.Items {
		got = append(got, s.Metadata.Name+"="+s.Status.FreightSummary)
	}
	if diff := cmp.Diff([]string{"s2=fs2", "s3=fs3"}, got); diff != "" || page.Remaining != 1 {
		t.Errorf("second page of 2 (-want +got):\n%s remaining %d, want 1", diff, page.Remaining)
	}
}
