package notify_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/notify"
)

func event(t *testing.T, typ string, data v1.PromotionEvent) *v1.Event {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return &v1.Event{ID: "ev-1", Type: typ, Source: "dray", Subject: data.Promotion, Data: raw}
}

func TestEventTypeAcceptsKargoAndDrayNames(t *testing.T) {
	for name, want := range map[string]string{
		"PromotionFailed":           v1.TypePromotionFailed,
		"promotion.failed":          v1.TypePromotionFailed,
		"dev.dray.promotion.failed": v1.TypePromotionFailed,
		"FreightVerificationFailed": "dev.dray.freight.verification.failed",
		"notification.failed":       v1.TypeNotificationFailed,
	} {
		got, err := notify.EventType(name)
		if err != nil || got != want {
			t.Errorf("EventType(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, bad := range []string{"PromotionExploded", "", "Promotion.Failed"} {
		if _, err := notify.EventType(bad); err == nil {
			t.Errorf("EventType(%q) accepted an unknown type", bad)
		}
	}
}

func TestRoutesMatchTypeStageAndLabels(t *testing.T) {
	router := &v1.EventRouter{Metadata: v1.ObjectMeta{Name: "prod-failures", Namespace: "shop"}, Spec: v1.EventRouterSpec{
		Types: []string{"PromotionFailed", "promotion.errored"},
		When:  "event.stageName == 'prod' && event.stageLabels.tier == 'critical'",
		Channels: []v1.EventRouterChannel{
			{Kind: v1.KindMessageChannel, Name: "slack"},
			{Kind: v1.KindClusterMessageChannel, Name: "hook", EncodingType: "json", Output: `{"promotion": "${{ event.promotion }}", "freight": "${{ event.freightName }}"}`},
		},
		Output: "${{ event.promotion }} to ${{ event.stage }} failed: ${{ event.message }}",
	}}
	ev := expr.New()
	critical := map[string]string{"tier": "critical"}
	cases := []struct {
		name   string
		typ    string
		stage  string
		labels map[string]string
		want   int
	}{
		{"failed in prod", v1.TypePromotionFailed, "prod", critical, 2},
		{"errored in prod", v1.TypePromotionErrored, "prod", critical, 2},
		{"succeeded in prod", v1.TypePromotionSucceeded, "prod", critical, 0},
		{"failed in dev", v1.TypePromotionFailed, "dev", critical, 0},
		{"failed in prod, not critical", v1.TypePromotionFailed, "prod", map[string]string{"tier": "low"}, 0},
	}
	for _, c := range cases {
		e := event(t, c.typ, v1.PromotionEvent{Project: "shop", Stage: c.stage, Promotion: "prod.01abc", Freight: "f1", Phase: "Failed", Message: "git-push: rejected"})
		env, err := notify.Env(e, c.labels)
		if err != nil {
			t.Fatal(err)
		}
		routes, err := notify.Routes(ev, router, e.Type, env)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(routes) != c.want {
			t.Errorf("%s: %d routes, want %d", c.name, len(routes), c.want)
			continue
		}
		if c.want == 0 {
			continue
		}
		got := []notify.Route{routes[0], routes[1]}
		want := []notify.Route{
			{Router: "prod-failures", Index: 0, Channel: router.Spec.Channels[0], Message: "prod.01abc to prod failed: git-push: rejected"},
			{Router: "prod-failures", Index: 1, Channel: router.Spec.Channels[1], Message: `{"promotion": "prod.01abc", "freight": "f1"}`, EncodingType: "json"},
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: routes (-want +got):\n%s", c.name, d)
		}
		if routes[0].ID() != "prod-failures.0" || routes[1].ID() != "prod-failures.1" {
			t.Errorf("route IDs %q, %q", routes[0].ID(), routes[1].ID())
		}
	}
}

func TestRenderValues(t *testing.T) {
	env, err := notify.Env(event(t, v1.TypePromotionFailed, v1.PromotionEvent{Project: "shop", Stage: "prod", Promotion: "p1",
		Step: &v1.StepEvent{Index: 2, Alias: "push"}}), nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := expr.New()
	for tmpl, want := range map[string]string{
		"plain text": "plain text",
		"${{ event.type }} in ${{ event.project }}": "promotion.failed in shop",
		"step ${{ event.step.index + 1 }}":          "step 3",
		"${{ upper(event.stage) }}":                 "PROD",
		"${{ event.step.alias }}@${{ event.id }}":   "push@ev-1",
	} {
		got, err := notify.Render(ev, tmpl, env)
		if err != nil || got != want {
			t.Errorf("Render(%q) = %q, %v; want %q", tmpl, got, err, want)
		}
	}
	if _, err := notify.Render(ev, "${{ event.stage", env); err == nil {
		t.Error("an unclosed expression rendered")
	}
}

func TestDefaultMessage(t *testing.T) {
	env, _ := notify.Env(event(t, v1.TypePromotionFailed, v1.PromotionEvent{Project: "shop", Stage: "prod", Promotion: "p1", Freight: "f1", Message: "boom"}), nil)
	if got, want := notify.DefaultMessage(env), "[shop] promotion.failed stage=prod promotion=p1 freight=f1: boom"; got != want {
		t.Errorf("DefaultMessage = %q, want %q", got, want)
	}
}

func TestWhenMustBeBoolean(t *testing.T) {
	env, _ := notify.Env(event(t, v1.TypePromotionFailed, v1.PromotionEvent{Stage: "prod"}), nil)
	if _, err := notify.When(expr.New(), "event.stage", env); err == nil || !strings.Contains(err.Error(), "not a boolean") {
		t.Errorf("a string when: err = %v, want not a boolean", err)
	}
}

func TestCheckNamesFields(t *testing.T) {
	probs := notify.Check(&v1.EventRouterSpec{
		Types:    []string{"PromotionFailed", "PromotionExploded"},
		When:     "event.stage ==",
		Output:   "${{ event.stage",
		Channels: []v1.EventRouterChannel{{Kind: "Webhook", Name: "x", EncodingType: "toml"}},
	})
	for _, path := range []string{"spec.types[1]", "spec.when", "spec.output", "spec.channels[0].kind", "spec.channels[0].encodingType"} {
		if probs[path] == "" {
			t.Errorf("no problem at %s; got %v", path, probs)
		}
	}
	if len(probs) != 5 {
		t.Errorf("problems %v, want 5", probs)
	}
	if probs := notify.Check(&v1.EventRouterSpec{Types: []string{"PromotionFailed"}, When: "event.stageName == 'prod'",
		Channels: []v1.EventRouterChannel{{Kind: v1.KindMessageChannel, Name: "slack"}}}); len(probs) != 0 {
		t.Errorf("a valid spec has problems: %v", probs)
	}
}
