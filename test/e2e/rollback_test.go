package e2e_test

import (
	"encoding/json"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestAutoRollback (docs/resources.md#auto-rollback): in an auto-promoting Stage whose
// policy rolls back, Freight that fails verification is rolled back to the last Freight
// verified there, exactly once: the rollback Promotion is marked and announced, its
// templates see ctx.meta.promotion.rollback, its verification passes, and its hold keeps
// auto-promotion from bringing the failed Freight back.
func TestAutoRollback(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	putProjectConfig(t, b, v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{
		{Stage: "prod", AutoPromotionEnabled: true, AutoRollback: &v1.AutoRollback{}},
	}})
	start := time.Now().Add(-time.Hour)
	newFreight := func(tag string, n int) string {
		at := start.Add(time.Duration(n) * time.Minute)
		name := putFreight(t, b, project, &v1.Freight{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, DiscoveredAt: &at,
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}},
		})
		if err := b.PublishEvent(t.Context(), project, v1.TypeFreightCreated, "created/"+name, "freight/"+name,
			v1.FreightEvent{Project: project, Freight: name, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}}); err != nil {
			t.Fatal(err)
		}
		return name
	}
	// The smoke test fails for images tagged v2 only; the deploy step records whether it
	// runs as a rollback.
	prod := verifyingStage("prod", v1.FreightSources{Direct: true}, v1.PromotionStep{
		Uses: "fail", As: "smoke", If: "${{ imageFrom('ghcr.io/example/app').Tag == 'v2' }}",
		Config: map[string]any{"message": "smoke test: error rate 7%"},
	})
	prod.Spec.PromotionTemplate.Spec.Steps[0].Config["rollback"] = "${{ ctx.meta.promotion.rollback }}"
	putResource(t, b, project, v1.KindStage, "prod", prod)
	status := func() v1.StageStatus {
		st, err := store.Stage(t.Context(), b, project, "prod")
		if err != nil {
			return v1.StageStatus{}
		}
		return st.Status
	}

	good := newFreight("v1", 1)
	waitFor(t, "prod to take and verify v1", func() bool { return status().LastStableFreight["Warehouse/app"].Freight == good })
	bad := newFreight("v2", 2)

	// v2 arrives, fails verification, and prod returns to v1 once it has settled.
	var rollback *v1.Promotion
	waitFor(t, "the rollback to v1 to succeed and be verified", func() bool {
		ps, err := listPromotions(t, b)
		if err != nil {
			return false
		}
		rollback = nil
		verified := false
		for i, p := range ps {
			if p.Metadata.Annotations[v1.AnnotationRollback] == "true" && p.Status.Phase == v1.PhaseSucceeded {
				rollback = &ps[i]
			}
			if rollback != nil && p.Metadata.Annotations[v1.AnnotationVerifies] == rollback.Metadata.Name && p.Status.Phase == v1.PhaseSucceeded {
				verified = true
			}
		}
		s := status()
		return rollback != nil && verified && s.CurrentPromotion == nil && len(s.Queued) == 0 && len(s.Deviations) == 0
	})
	if rollback.Spec.Freight != good || rollback.Metadata.Annotations[v1.AnnotationCreateActor] != v1.ActorAutoRollback {
		t.Errorf("rollback promotes %s by %s, want %s by %s", rollback.Spec.Freight, rollback.Metadata.Annotations[v1.AnnotationCreateActor], good, v1.ActorAutoRollback)
	}
	if got := rollback.Status.State["deploy"]["rollback"]; got != true {
		t.Errorf("the rollback's ctx.meta.promotion.rollback = %v, want true", got)
	}

	// Exactly once: one rollback Promotion, one stage.rollback.started event, and prod's
	// history is v1, v2, then v1 by the rollback; a hold keeps v2 out.
	ps, err := listPromotions(t, b)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps {
		if p.Metadata.Annotations[v1.AnnotationRollback] == "true" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d rollback Promotions, want 1", n)
	}
	var started []v1.StageEvent
	for _, e := range events(t, b, project) {
		if e.Type != v1.TypeStageRollbackStarted {
			continue
		}
		var d v1.StageEvent
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		started = append(started, d)
	}
	if len(started) != 1 || started[0].Freight != good || started[0].Promotion != rollback.Metadata.Name {
		t.Errorf("stage.rollback.started events = %+v, want one returning to %s through %s", started, good, rollback.Metadata.Name)
	}
	s := status()
	var history []string
	for _, h := range s.FreightHistory {
		history = append(history, h.Freight)
	}
	if len(history) != 3 || history[0] != good || history[1] != bad || history[2] != good || !s.FreightHistory[0].Rollback {
		t.Errorf("prod's history = %v (newest marked rollback: %v), want [v1 v2 v1] with the newest a rollback", history, s.FreightHistory[0].Rollback)
	}
	if h := s.AutoPromotionHolds["Warehouse/app"]; h.PromotionName != rollback.Metadata.Name {
		t.Errorf("prod's hold = %+v, want one by the rollback %s", h, rollback.Metadata.Name)
	}
}

// TestAutoRollbackAfterRestart: a failure recorded just before the state service stopped
// (the Stage settled, nothing to end and trigger it) is rolled back when it starts again.
func TestAutoRollbackAfterRestart(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	putProjectConfig(t, b, v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{{Stage: "prod", AutoRollback: &v1.AutoRollback{}}}})
	putResource(t, b, project, v1.KindStage, "prod", verifyingStage("prod", v1.FreightSources{Direct: true}))
	origin := v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
	good := putFreight(t, b, project, &v1.Freight{Origin: origin, Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}}})
	bad := putFreight(t, b, project, &v1.Freight{Origin: origin, Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v2"}}})
	now := time.Now().UTC()
	before := now.Add(-time.Minute)
	st := v1.StageStatus{
		FreightHistory:    []v1.StageHistoryEntry{{Freight: bad, Origin: origin, Promotion: "prod.p2", Since: &before}},
		LastStableFreight: map[string]v1.StableFreight{"Warehouse/app": {Freight: good, Origin: origin, VerifiedAt: &before}},
		Deviations:        []v1.StageDeviation{{Freight: bad, Origin: origin, Promotion: "prod.v2", Phase: v1.PhaseFailed, Verification: true, At: &now}},
	}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stages.Put(t.Context(), bus.Key(project, "prod"), data); err != nil {
		t.Fatal(err)
	}
	startControlPlane(t, ns)
	waitFor(t, "the rollback to v1 to succeed", func() bool {
		s := stageStatus(t, b, "prod")
		return len(s.FreightHistory) > 0 && s.FreightHistory[0].Freight == good && s.FreightHistory[0].Rollback && len(s.Deviations) == 0
	})
}
