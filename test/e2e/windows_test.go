package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/token"
	"github.com/drayhq/dray/services/gateway"
)

// TestPromotionWindowRRULE is issue 17's window test, through the API as dray uses it: a
// cluster-wide Deny window in Kargo's RRULE form, selecting the project, closes its Stage
// (the Stage's status says so, and until when); a manual promote is refused, naming the
// window; promoted with the override it runs, and the audit trail records the override. An
// invalid RRULE is refused at apply, naming the resource and field.
func TestPromotionWindowRRULE(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	admin, _, err := token.NewStore(b.Tokens).Create(t.Context(), v1.APIToken{Name: "admin", SystemAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	startControlPlane(t, ns)
	ready := make(chan string, 1)
	startService(t, ns, "gateway", func(ctx context.Context, d service.Deps) error {
		return gateway.Run(ctx, gateway.Options{Addr: "127.0.0.1:0", Ready: ready}, d)
	})
	var c *client.Client
	select {
	case addr := <-ready:
		c = client.New("http://"+addr, client.WithToken(admin))
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not listen within 30s")
	}

	// A weekly three-hour freeze whose current occurrence began an hour ago.
	now := time.Now().UTC().Truncate(time.Second)
	start, end := now.Add(-time.Hour), now.Add(2*time.Hour)
	const ical = "20060102T150405Z"
	apply := func(objs ...any) error {
		var docs []json.RawMessage
		for _, o := range objs {
			data, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, data)
		}
		_, err := c.Apply(t.Context(), docs)
		return err
	}
	err = apply(
		v1.Project{TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindProject}, Metadata: v1.ObjectMeta{Name: project}},
		v1.ClusterConfig{
			TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindClusterConfig},
			Metadata: v1.ObjectMeta{Name: v1.ClusterConfigName},
			Spec: v1.ClusterConfigSpec{PromotionWindows: []v1.PromotionWindow{{
				Name: "release-freeze", Kind: "Deny", RRule: "FREQ=WEEKLY",
				DTStart: start.Format(ical), DTEnd: end.Format(ical),
				ProjectSelector: &v1.StageSelector{Name: project}, StageSelector: &v1.StageSelector{Name: "glob:prod*"},
			}}},
		})
	if err != nil {
		t.Fatalf("apply the ClusterConfig: %v", err)
	}
	putResource(t, b, project, v1.KindStage, "prod", verifyingStage("prod", v1.FreightSources{Direct: true}))
	f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v3"}}})

	// An invalid RRULE is refused at apply, naming the resource and the field.
	err = apply(v1.ProjectConfig{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindProjectConfig},
		Metadata: v1.ObjectMeta{Name: project, Namespace: project},
		Spec: v1.ProjectConfigSpec{PromotionWindows: []v1.PromotionWindow{{
			Name: "typo", Kind: "Deny", RRule: "FREQ=FORTNIGHTLY", DTStart: start.Format(ical), DTEnd: end.Format(ical)}}},
	})
	if err == nil || !strings.Contains(err.Error(), "ProjectConfig/"+project) || !strings.Contains(err.Error(), "spec.promotionWindows[0].rrule") {
		t.Errorf("apply with an invalid RRULE = %v, want it refused naming ProjectConfig/%s and spec.promotionWindows[0].rrule", err, project)
	}

	// The Stage's status says it is closed, by which window, and until when.
	s, err := c.Stage(t.Context(), project, "prod")
	if err != nil {
		t.Fatal(err)
	}
	w := s.Status.PromotionWindow
	if w == nil || !w.Closed || !strings.Contains(w.Reason, `deny window "release-freeze" is open until`) || w.NextOpen == nil || !w.NextOpen.Equal(end) {
		t.Fatalf("prod's promotionWindow status = %+v, want closed by release-freeze until %s", w, end)
	}

	// A manual promote is refused, saying why and how to go ahead.
	_, err = c.Promote(t.Context(), &v1.PromoteCommand{Project: project, Stage: "prod", Freight: f})
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(err.Error(), `deny window "release-freeze"`) || !strings.Contains(err.Error(), "--override-window") {
		t.Fatalf("promote during the freeze = %v, want 422 naming the window and --override-window", err)
	}
	if p := onlyPromotion(t, b, "prod"); p != nil {
		t.Fatalf("a Promotion was created during the freeze: %s", p.Metadata.Name)
	}

	// With the override it runs; the Promotion says who overrode what.
	if _, err := c.Promote(t.Context(), &v1.PromoteCommand{Project: project, Stage: "prod", Freight: f, OverrideWindow: true}); err != nil {
		t.Fatalf("promote with --override-window: %v", err)
	}
	waitFor(t, "the overriding Promotion to succeed", func() bool {
		p := onlyPromotion(t, b, "prod")
		return p != nil && p.Status.Phase == v1.PhaseSucceeded
	})
	p := onlyPromotion(t, b, "prod")
	if got := p.Metadata.Annotations[v1.AnnotationWindowOverride]; got != "token:admin" {
		t.Errorf("override recorded as %q, want token:admin", got)
	}
	if got := p.Metadata.Annotations[v1.AnnotationWindowOverrideReason]; !strings.Contains(got, "release-freeze") {
		t.Errorf("override reason recorded as %q, want the window", got)
	}

	// The audit trail records the override, from the API and from the command on the bus.
	waitUntil(t, "the override in the audit trail", func() (bool, string) {
		list, err := c.Audit(t.Context(), project, url.Values{"verb": {"promote"}})
		if err != nil {
			return false, err.Error()
		}
		sources := map[string]bool{}
		var all []string
		for _, r := range list.Records {
			all = append(all, r.Source+" "+r.Actor+" "+r.Name+" "+r.Result+" override="+r.Override+" reason="+r.Reason)
			if r.Override == v1.OverridePromotionWindows && r.Result == v1.AuditAllowed && r.Name == "prod" && r.Actor == "token:admin" {
				sources[r.Source] = true
			}
		}
		return sources[v1.AuditSourceAPI] && sources[v1.AuditSourceBus], strings.Join(all, "; ")
	})
}
