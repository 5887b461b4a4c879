package e2e_test

import (
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestMatchUpstream: a Stage that auto-promotes with selectionPolicy MatchUpstream takes the
// Freight its upstream Stage holds, not the newest verified there: when dev is rolled back to
// older Freight, staging follows it back.
func TestMatchUpstream(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	putProjectConfig(t, b, autoPromoting("staging"))
	staging := verifyingStage("staging", v1.FreightSources{Stages: []string{"dev"},
		AutoPromotionOptions: &v1.AutoPromotionOptions{SelectionPolicy: v1.SelectMatchUpstream}})
	for _, s := range []v1.Stage{verifyingStage("dev", v1.FreightSources{Direct: true}), staging} {
		putResource(t, b, project, v1.KindStage, s.Metadata.Name, s)
	}
	newFreight := func(tag string, discovered time.Time) string {
		return putFreight(t, b, project, &v1.Freight{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, DiscoveredAt: &discovered,
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}},
		})
	}
	old, newer := newFreight("v1", time.Now().Add(-time.Hour)), newFreight("v2", time.Now())
	holds := func(stage, f string) func() bool {
		return func() bool {
			st, err := store.Stage(t.Context(), b, project, stage)
			return err == nil && len(st.Status.FreightHistory) > 0 && st.Status.FreightHistory[0].Freight == f &&
				st.Status.CurrentPromotion == nil
		}
	}

	publishPromote(t, ns, "dev", old)
	waitFor(t, "staging to follow dev to v1", holds("staging", old))
	publishPromote(t, ns, "dev", newer)
	waitFor(t, "staging to follow dev to v2", holds("staging", newer))
	// Roll dev back: v1 is verified there already, and older than v2.
	publishPromote(t, ns, "dev", old)
	waitFor(t, "dev to hold v1 again", holds("dev", old))
	waitFor(t, "staging to follow dev back to v1", holds("staging", old))
}
