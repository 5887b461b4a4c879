package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// webClient is an HTTP client that keeps cookies and does not follow redirects, as a test
// needs to see them.
func webClient(t *testing.T) *http.Client {
	t.Helper()
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Jar: newJar(t)}
}

func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}

// get sends a browser's GET (Accept: text/html), with a bearer token when tok is set.
func get(t *testing.T, c *http.Client, tok, u string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp, ""
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestEveryPageNeedsIdentity walks every UI route as a browser: not signed in, a page sends
// it to the login page (an htmx request is told to go there); signed in without the role, the
// refusal is explained on an HTML page naming the verb and a role that would do.
func TestEveryPageNeedsIdentity(t *testing.T) {
	base, mux, a := testGateway(t)
	viewer := newToken(t, a, v1.APIToken{Name: "v", Project: "demo", Role: "viewer"})
	other := newToken(t, a, v1.APIToken{Name: "o", Project: "other", Role: "admin"})
	c := webClient(t)
	pages := 0
	for _, pattern := range mux.patterns {
		p := mux.perms[pattern]
		if !p.isPage {
			continue
		}
		pages++
		_, path, _ := strings.Cut(pattern, " ")
		u := base + strings.NewReplacer("{project}", "demo", "{name}", "prod", "{$}", "").Replace(path)
		resp, _ := get(t, c, "", u)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?return=") {
			t.Errorf("anonymous browser %s: %d Location %q, want 303 to /login?return=…", pattern, resp.StatusCode, loc)
		}
		resp, _ = get(t, c, "", u, "HX-Request", "true")
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/login?return=") {
			t.Errorf("anonymous htmx %s: %d HX-Redirect %q, want 401 with HX-Redirect to /login", pattern, resp.StatusCode, resp.Header.Get("HX-Redirect"))
		}
		if p.anyone {
			continue
		}
		refused := false
		for _, tok := range []string{viewer, other} {
			resp, body := get(t, c, tok, u)
			if resp.StatusCode != http.StatusForbidden {
				continue
			}
			refused = true
			if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "You may not do this") ||
				!strings.Contains(body, p.verb) || !strings.Contains(body, "role") {
				t.Errorf("%s: 403 %q is not a page explaining the verb and a role", pattern, body)
			}
		}
		if !refused {
			t.Errorf("%s: no under-privileged browser was refused", pattern)
		}
	}
	if pages < 8 {
		t.Fatalf("walked %d UI routes; the UI's routes look missing", pages)
	}
}

// TestTokenSignIn: the login page takes an API token and sets a sealed session cookie; the
// session reads pages, changes things only with the CSRF header, and ends when the token is
// revoked.
func TestTokenSignIn(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	c := webClient(t)
	post := func(form url.Values) (*http.Response, string) {
		resp, err := c.PostForm(base+"/login", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	if resp, body := post(url.Values{"token": {"dray_demo.nobody_AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "unknown") {
		t.Errorf("sign in with an unknown token: %d %q, want 401 saying so", resp.StatusCode, body)
	}
	dev := newToken(t, a, v1.APIToken{Name: "dev", Project: "demo", Role: "developer"})
	resp, _ := post(url.Values{"token": {dev}, "return": {"/projects/demo"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/projects/demo" {
		t.Fatalf("sign in: %d to %q, want 303 to /projects/demo", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, ck := range resp.Cookies() {
		if strings.Contains(ck.Value, dev) || strings.Contains(ck.Value, dev[len(dev)-20:]) {
			t.Errorf("cookie %s holds the token", ck.Name)
		}
	}
	resp, body := get(t, c, "", base+"/projects/demo")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="stage-dev"`) || !strings.Contains(body, "token:demo/dev") {
		t.Fatalf("pipeline page signed in: %d %q", resp.StatusCode, body)
	}
	u, _ := url.Parse(base)
	csrf := ""
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == csrfCookie {
			csrf = ck.Value
		}
	}
	pause := func(header string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v1/projects/demo/stages/dev/pause", nil)
		if header != "" {
			req.Header.Set(csrfHeader, header)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := pause(""); code != http.StatusForbidden {
		t.Errorf("pause by cookie without the CSRF header: %d, want 403", code)
	}
	if code := pause("wrong"); code != http.StatusForbidden {
		t.Errorf("pause by cookie with a wrong CSRF header: %d, want 403", code)
	}
	if code := pause(csrf); code != http.StatusAccepted {
		t.Fatalf("pause by cookie with the CSRF header: %d, want 202", code)
	}
	if got := lastActor(t, a, "pause"); got != "token:demo/dev" {
		t.Errorf("pause by the UI's session: actor %q, want token:demo/dev", got)
	}
	if err := a.auth.store.Revoke(t.Context(), "demo", "dev"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, _ := get(t, c, "", base+"/projects/demo")
		if resp.StatusCode == http.StatusSeeOther {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session of a revoked token still reads pages: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPipelinePage: the graph shows the Warehouse and each Stage as a card with its Freight,
// its last Promotion and whether it is paused, and an edge for each source.
func TestPipelinePage(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	admin, _ := adminTokens.Load(base)
	st := v1.StageStatus{
		FreightHistory: []v1.StageHistoryEntry{{Freight: "f1", Alias: "first", Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, Promotion: "dev.1"}},
		LastPromotion:  &v1.PromotionReference{Name: "dev.1", Freight: "f1", Phase: v1.PhaseFailed},
		Paused:         &v1.StagePaused{By: "someone"},
		Queued:         []v1.PromotionReference{{Name: "dev.2"}, {Name: "dev.3"}},
	}
	if err := putJSON(t, a.Bus.Stages, bus.Key("demo", "dev"), &st); err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, webClient(t), admin.(string), base+"/projects/demo")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("pipeline page: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{`aria-label="Warehouse app"`, `id="stage-dev"`, `id="stage-prod"`, ">first</a>",
		`data-phase="Failed"`, "2 queued", ">Paused<", ">Resume<", `data-from="app" data-to="dev"`,
		`data-events="/projects/demo/events"`} {
		if !strings.Contains(body, want) {
			t.Errorf("pipeline page lacks %s", want)
		}
	}
	_, body = get(t, webClient(t), admin.(string), base+"/projects/demo/stages/prod/promote")
	if !strings.Contains(body, `name="freight" value="`) || !strings.Contains(body, "<strong>first</strong>") {
		t.Errorf("promote dialog of prod offers no Freight: %s", body)
	}
	resp, body = get(t, webClient(t), admin.(string), base+"/projects/demo/stages/prod/preview?freight=first", "HX-Request", "true")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<code>v1</code>") || !strings.Contains(body, "compose-output") {
		t.Errorf("preview of first in prod: %d %s, want its artifacts and steps", resp.StatusCode, body)
	}
}

// TestEventsStream: the UI's stream sends, as they happen, the project's events (naming the
// Promotion and Stage) and its Stages' status writes, and nothing of other projects.
func TestEventsStream(t *testing.T) {
	base, _, a := testGateway(t)
	admin, _ := adminTokens.Load(base)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/projects/demo/events", nil)
	req.Header.Set("Authorization", "Bearer "+admin.(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() liveEvent {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var ev liveEvent
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					t.Fatalf("event %q: %v", data, err)
				}
				return ev
			}
		}
		t.Fatalf("stream ended: %v", lines.Err())
		return liveEvent{}
	}
	// The subscription starts before the first line is sent: read it, then publish.
	for lines.Scan() && !strings.HasPrefix(lines.Text(), ": following") {
	}
	ev := v1.PromotionEvent{Project: "demo", Stage: "dev", Promotion: "dev.1", Freight: "f1", Phase: v1.PhaseSucceeded}
	if err := a.Bus.PublishEvent(ctx, "other", v1.TypePromotionSucceeded, "other-1", "promotion/x", ev); err != nil {
		t.Fatal(err)
	}
	if err := a.Bus.PublishEvent(ctx, "demo", v1.TypePromotionSucceeded, "demo-1", "promotion/dev.1", ev); err != nil {
		t.Fatal(err)
	}
	got := next()
	if got.Promotion != "dev.1" || got.Stage != "dev" || got.Type != "promotion.succeeded" || got.Time == 0 {
		t.Errorf("first event %+v, want promotion.succeeded of dev.1 in dev (the other project's event must not come)", got)
	}
	if err := putJSON(t, a.Bus.Stages, bus.Key("demo", "prod"), &v1.StageStatus{FreightSummary: "f1"}); err != nil {
		t.Fatal(err)
	}
	if got := next(); got.Stage != "prod" || got.Type != "stage.status" {
		t.Errorf("after a status write: %+v, want stage.status of prod", got)
	}
}

func putJSON(t *testing.T, kv jetstream.KeyValue, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = kv.Put(t.Context(), key, data)
	return err
}
