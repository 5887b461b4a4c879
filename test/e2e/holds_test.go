package e2e_test

import (
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestAutoPromotionHolds (docs/resources.md#auto-promotion-holds): a person's rollback in an auto-promoting Stage
// holds auto-promotion there, so new Freight does not undo it; promoting the candidate lifts
// the hold; switching auto-promotion off clears holds.
func TestAutoPromotionHolds(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	putProjectConfig(t, b, autoPromoting("auto", "witness"))
	for _, name := range []string{"auto", "witness"} {
		putResource(t, b, project, v1.KindStage, name, verifyingStage(name, v1.FreightSources{Direct: true}))
	}
	start := time.Now().Add(-time.Hour)
	newFreight := func(tag string, n int) string {
		at := start.Add(time.Duration(n) * time.Minute)
		name := putFreight(t, b, project, &v1.Freight{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, DiscoveredAt: &at,
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}},
		})
		// As the warehouse announces it: auto-promotion runs on this event.
		if err := b.PublishEvent(t.Context(), project, v1.TypeFreightCreated, "created/"+name, "freight/"+name,
			v1.FreightEvent{Project: project, Freight: name, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}}); err != nil {
			t.Fatal(err)
		}
		return name
	}
	status := func(stage string) v1.StageStatus {
		st, err := store.Stage(t.Context(), b, project, stage)
		if err != nil {
			return v1.StageStatus{}
		}
		return st.Status
	}
	holds := func(stage, f string) func() bool {
		return func() bool {
			s := status(stage)
			return len(s.FreightHistory) > 0 && s.FreightHistory[0].Freight == f && s.CurrentPromotion == nil && len(s.Queued) == 0
		}
	}
	const key = "Warehouse/app"

	v1f := newFreight("v1", 1)
	waitFor(t, "auto to take v1", holds("auto", v1f))
	v2f := newFreight("v2", 2)
	waitFor(t, "auto to take v2", holds("auto", v2f))

	// A person rolls auto back to v1: that holds the origin.
	publishPromote(t, ns, "auto", v1f)
	waitFor(t, "the rollback and its hold", func() bool {
		h, ok := status("auto").AutoPromotionHolds[key]
		return holds("auto", v1f)() && ok && h.FreightName == v1f
	})
	// New Freight: the witness Stage takes it, the held Stage keeps v1.
	v3f := newFreight("v3", 3)
	waitFor(t, "witness to take v3", holds("witness", v3f))
	if s := status("auto"); s.FreightHistory[0].Freight != v1f || s.CurrentPromotion != nil || len(s.Queued) != 0 {
		t.Fatalf("held Stage: holds %s, running %v, queued %v; want v1 and nothing on its way", s.FreightHistory[0].Freight, s.CurrentPromotion, s.Queued)
	}

	// Promoting the candidate lifts the hold.
	publishPromote(t, ns, "auto", v3f)
	waitFor(t, "the hold to be lifted", func() bool {
		_, held := status("auto").AutoPromotionHolds[key]
		return holds("auto", v3f)() && !held
	})

	// Held again, then auto-promotion is switched off for the Stage: the hold goes.
	publishPromote(t, ns, "auto", v1f)
	waitFor(t, "a second hold", func() bool { _, held := status("auto").AutoPromotionHolds[key]; return held })
	putProjectConfig(t, b, autoPromoting("witness"))
	newFreight("v4", 4)
	waitFor(t, "the hold to be cleared", func() bool { return len(status("auto").AutoPromotionHolds) == 0 })
}
