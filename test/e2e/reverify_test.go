package e2e_test

import (
	"encoding/json"
	"strconv"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestReverificationsAreAllAnnounced: verifying the same Freight in the same Stage five more
// times (dray verify) announces five more freight.verified events, each with its own ID:
// none is taken for a duplicate of the first and dropped.
func TestReverificationsAreAllAnnounced(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	smoke := v1.PromotionStep{Uses: "compose-output", As: "smoke", Config: map[string]any{"checked": "${{ ctx.targetFreight.name }}"}}
	st := verifyingStage("good", v1.FreightSources{Direct: true}, smoke)
	putResource(t, b, project, v1.KindStage, st.Metadata.Name, st)
	f := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v9"}},
	})
	publishPromote(t, ns, "good", f)
	waitFor(t, "the first verification", func() bool { return verificationRuns(t, b, "good") == 1 })

	const again = 5
	for i := range again {
		cmd := v1.VerifyCommand{Stage: "good", ID: "again-" + strconv.Itoa(i)}
		if err := b.Publish(t.Context(), bus.CommandSubject(project, "verify"), "verify/"+cmd.ID, cmd); err != nil {
			t.Fatal(err)
		}
	}
	verified := func() (n int, ids map[string]bool) {
		ids = map[string]bool{}
		for _, e := range events(t, b, project) {
			var d v1.FreightEvent
			if e.Type == v1.TypeFreightVerified && json.Unmarshal(e.Data, &d) == nil && d.Stage == "good" && d.Freight == f {
				n++
				ids[e.ID] = true
			}
		}
		return n, ids
	}
	waitFor(t, "every re-verification to run", func() bool { return verificationRuns(t, b, "good") == 1+again })
	waitFor(t, "a freight.verified event per verification", func() bool { n, _ := verified(); return n >= 1+again })
	if n, ids := verified(); n != 1+again || len(ids) != n {
		t.Errorf("%d freight.verified events with %d IDs for %d verifications, want one each", n, len(ids), 1+again)
	}
}
