package e2e_test

import (
	"encoding/json"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

func stageStatus(t *testing.T, b *bus.Bus, stage string) v1.StageStatus {
	t.Helper()
	st, err := store.Stage(t.Context(), b, project, stage)
	if err != nil {
		t.Fatal(err)
	}
	return st.Status
}

func onlyPromotion(t *testing.T, b *bus.Bus, stage string) *v1.Promotion {
	t.Helper()
	ps, err := listPromotions(t, b)
	if err != nil {
		t.Fatal(err)
	}
	var found *v1.Promotion
	for i := range ps {
		if ps[i].Spec.Stage == stage {
			if found != nil {
				t.Fatalf("two promotions of %s", stage)
			}
			found = &ps[i]
		}
	}
	return found
}

// TestPauseAndResume: a paused Stage queues its Promotions and says why; resuming starts them.
func TestPauseAndResume(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	putResource(t, b, project, v1.KindStage, "prod", verifyingStage("prod", v1.FreightSources{Direct: true}))
	f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}}})

	pause := v1.StageCommand{Stage: "prod", Actor: "email:sre@example.com", Reason: "incident 4711"}
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "pause"), "pause-1", pause); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "prod to be paused", func() bool { return stageStatus(t, b, "prod").Paused != nil })
	publishPromote(t, ns, "prod", f)
	waitFor(t, "prod to say why its Promotion waits", func() bool {
		return strings.Contains(stageStatus(t, b, "prod").Waiting, "paused by email:sre@example.com: incident 4711")
	})
	if p := onlyPromotion(t, b, "prod"); p == nil || p.Status.Phase != v1.PhasePending {
		t.Fatalf("the Promotion to a paused Stage is %+v, want Pending", p)
	}

	resume := v1.StageCommand{Stage: "prod", Actor: "email:sre@example.com"}
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "resume"), "resume-1", resume); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the queued Promotion to succeed", func() bool {
		p := onlyPromotion(t, b, "prod")
		return p != nil && p.Status.Phase == v1.PhaseSucceeded
	})
	if st := stageStatus(t, b, "prod"); st.Paused != nil || st.Waiting != "" {
		t.Errorf("after resume: paused=%+v waiting=%q", st.Paused, st.Waiting)
	}
	counts := countTypes(t, events(t, b, project))
	if counts[v1.TypeStagePaused] != 1 || counts[v1.TypeStageResumed] != 1 {
		t.Errorf("stage events = %v, want one paused and one resumed", counts)
	}
}

// TestPromotionWindows: during a freeze a person's promote is refused unless it overrides,
// and the override is recorded; an auto-promotion is created but waits, saying why.
func TestPromotionWindows(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	cfg := autoPromoting("auto")
	// Opens every minute for a day: always open.
	cfg.PromotionWindows = []v1.PromotionWindow{{Name: "big-freeze", Kind: "deny", Schedule: "* * * * *", Duration: "24h"}}
	putProjectConfig(t, b, cfg)
	putResource(t, b, project, v1.KindStage, "manual", verifyingStage("manual", v1.FreightSources{Direct: true}))
	putResource(t, b, project, v1.KindStage, "auto", verifyingStage("auto", v1.FreightSources{Direct: true}))
	f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v2"}}})

	// A person's promote is refused, saying how to go ahead.
	publishPromote(t, ns, "manual", f)
	waitFor(t, "the promote to be rejected", func() bool {
		for _, e := range events(t, b, project) {
			var d v1.CommandRejected
			if e.Type == v1.TypeCommandRejected && json.Unmarshal(e.Data, &d) == nil &&
				strings.Contains(d.Message, `deny window "big-freeze" is open`) && strings.Contains(d.Message, "--override-window") {
				return true
			}
		}
		return false
	})
	if p := onlyPromotion(t, b, "manual"); p != nil {
		t.Fatalf("a Promotion was created during the freeze: %s", p.Metadata.Name)
	}

	// With an override it runs, and the override is on record.
	override := v1.PromoteCommand{Stage: "manual", Freight: f, Actor: "email:lead@example.com", OverrideWindow: true}
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "promote"), "override-1", override); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the overriding Promotion to succeed", func() bool {
		p := onlyPromotion(t, b, "manual")
		return p != nil && p.Status.Phase == v1.PhaseSucceeded
	})
	if got := onlyPromotion(t, b, "manual").Metadata.Annotations[v1.AnnotationWindowOverride]; got != "email:lead@example.com" {
		t.Errorf("override recorded as %q, want the actor", got)
	}

	// Auto-promotion creates its Promotion, which waits for the window.
	ev := v1.FreightEvent{Project: project, Freight: f, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}}
	if err := b.PublishEvent(t.Context(), project, v1.TypeFreightCreated, "created-"+f, "freight/"+f, ev); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the auto-promotion to wait for the window", func() bool {
		return strings.Contains(stageStatus(t, b, "auto").Waiting, `deny window "big-freeze" is open until`)
	})
	if p := onlyPromotion(t, b, "auto"); p == nil || p.Status.Phase != v1.PhasePending {
		t.Errorf("auto-promotion during the freeze = %+v, want one Pending", p)
	}
}
