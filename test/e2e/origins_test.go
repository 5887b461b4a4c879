package e2e_test

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestStageWithTwoOrigins: a Stage that requests Freight from two Warehouses holds one
// Freight of each; a newer Freight replaces only the one of its own origin.
func TestStageWithTwoOrigins(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	web, api := v1.FreightOrigin{Kind: "Warehouse", Name: "web"}, v1.FreightOrigin{Kind: "Warehouse", Name: "api"}
	s := verifyingStage("prod", v1.FreightSources{Direct: true})
	s.Spec.RequestedFreight = []v1.FreightRequest{{Origin: web, Sources: v1.FreightSources{Direct: true}}, {Origin: api, Sources: v1.FreightSources{Direct: true}}}
	// Each Promotion sees the Freight of the other origin that the Stage holds.
	tag := func(repo string) string {
		return "${{ imageFrom('" + repo + "') == nil ? 'none' : imageFrom('" + repo + "').Tag }}"
	}
	s.Spec.PromotionTemplate.Spec.Steps = []v1.PromotionStep{{Uses: "compose-output", As: "deploy", Config: map[string]any{
		"web": tag("ghcr.io/example/web"), "api": tag("ghcr.io/example/api"),
	}}}
	putResource(t, b, project, v1.KindStage, "prod", s)
	freight := func(origin v1.FreightOrigin, tag string) string {
		return putFreight(t, b, project, &v1.Freight{Origin: origin, Images: []v1.Image{{RepoURL: "ghcr.io/example/" + origin.Name, Tag: tag}}})
	}
	web1, api1, web2 := freight(web, "v1"), freight(api, "v1"), freight(web, "v2")
	for i, f := range []string{web1, api1, web2} {
		publishPromote(t, ns, "prod", f)
		waitFor(t, "promotion "+f, func() bool {
			st, err := store.Stage(t.Context(), b, project, "prod")
			return err == nil && len(st.Status.FreightHistory) == i+1
		})
	}
	in := func(name string) bool {
		f, err := store.Freight(t.Context(), b, project, name)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := f.Status.CurrentlyIn["prod"]
		return ok
	}
	waitFor(t, "web2 and api1 to be in prod", func() bool { return in(web2) && in(api1) })
	if in(web1) {
		t.Error("web1 is still currentlyIn prod after web2 replaced it")
	}
	st, _ := store.Stage(t.Context(), b, project, "prod")
	if st.Status.FreightSummary != "2/2 Fulfilled" {
		t.Errorf("freightSummary = %q, want 2/2 Fulfilled", st.Status.FreightSummary)
	}
	// What each Promotion's imageFrom saw, oldest first: web v1 alone, then api v1 beside
	// it, then web v2 beside api v1.
	want := []map[string]any{{"web": "v1", "api": "none"}, {"web": "v1", "api": "v1"}, {"web": "v2", "api": "v1"}}
	for i, h := range st.Status.FreightHistory {
		p, err := store.Promotion(t.Context(), b, project, h.Promotion)
		if err != nil {
			t.Fatal(err)
		}
		got := p.Status.State["deploy"]
		if w := want[len(want)-1-i]; got["web"] != w["web"] || got["api"] != w["api"] {
			t.Errorf("Promotion %s (of %s) saw %v, want %v", h.Promotion, h.Freight, got, w)
		}
	}
}

// TestOriginFromSubscriptions: imageFrom without an origin decides from the subscriptions of
// the Stage's requested Warehouses: when two subscribe to the same repository it is an error
// naming both, even though only one of them has Freight yet.
func TestOriginFromSubscriptions(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	warehouse := func(name string, repos ...string) {
		w := v1.Warehouse{
			TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindWarehouse},
			Metadata: v1.ObjectMeta{Name: name, Namespace: project},
		}
		for _, r := range repos {
			w.Spec.Subscriptions = append(w.Spec.Subscriptions, v1.RepoSubscription{Image: &v1.ImageSubscription{RepoURL: r}})
		}
		putResource(t, b, project, v1.KindWarehouse, name, w)
	}
	warehouse("web", "ghcr.io/example/web", "ghcr.io/example/base")
	warehouse("api", "ghcr.io/example/api", "ghcr.io/example/base")
	web, api := v1.FreightOrigin{Kind: "Warehouse", Name: "web"}, v1.FreightOrigin{Kind: "Warehouse", Name: "api"}
	s := verifyingStage("prod", v1.FreightSources{Direct: true})
	s.Spec.RequestedFreight = []v1.FreightRequest{{Origin: web, Sources: v1.FreightSources{Direct: true}}, {Origin: api, Sources: v1.FreightSources{Direct: true}}}
	s.Spec.PromotionTemplate.Spec.Steps = []v1.PromotionStep{
		{Uses: "compose-output", As: "web", Config: map[string]any{"tag": "${{ imageFrom('ghcr.io/example/web').Tag }}"}},
		{Uses: "compose-output", As: "base", Config: map[string]any{"tag": "${{ imageFrom('ghcr.io/example/base').Tag }}"}},
	}
	putResource(t, b, project, v1.KindStage, "prod", s)
	f := putFreight(t, b, project, &v1.Freight{Origin: web, Images: []v1.Image{
		{RepoURL: "ghcr.io/example/web", Tag: "v1"}, {RepoURL: "ghcr.io/example/base", Tag: "b1"},
	}})
	publishPromote(t, ns, "prod", f)
	p := waitFinished(t, b, project, 30*time.Second)
	if got := p.Status.State["web"]["tag"]; got != "v1" {
		t.Errorf("imageFrom of web's own repository = %v, want v1", got)
	}
	base := p.Status.StepExecutionMetadata[1]
	if base.Status != v1.StepErrored || !strings.Contains(base.Message, "multiple requested Freight could potentially provide") || !strings.Contains(base.Message, "web, api") {
		t.Errorf("imageFrom of a repository both Warehouses subscribe to: %s %q, want Errored naming web and api", base.Status, base.Message)
	}
}
