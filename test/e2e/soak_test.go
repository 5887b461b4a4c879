package e2e_test

import (
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestAutoPromotionAfterSoak: a Stage that wants its Freight soaked upstream promotes it by
// itself once the soak time has passed, though no event says so.
func TestAutoPromotionAfterSoak(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	putProjectConfig(t, b, autoPromoting("soaked"))
	putResource(t, b, project, v1.KindStage, "dev", verifyingStage("dev", v1.FreightSources{Direct: true}))
	putResource(t, b, project, v1.KindStage, "soaked", verifyingStage("soaked", v1.FreightSources{Stages: []string{"dev"}, RequiredSoakTime: "2s"}))
	f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v5"}}})
	publishPromote(t, ns, "dev", f)
	waitFor(t, "the Freight to soak in dev and reach soaked", func() bool {
		st, err := store.Stage(t.Context(), b, project, "soaked")
		// The history is recorded just after the Promotion's end.
		return err == nil && st.Status.LastPromotion != nil && st.Status.LastPromotion.Phase == v1.PhaseSucceeded &&
			st.Status.LastPromotion.Freight == f && len(st.Status.FreightHistory) > 0
	})
	fr, err := store.Freight(t.Context(), b, project, f)
	if err != nil {
		t.Fatal(err)
	}
	in, verified := fr.Status.CurrentlyIn["dev"], fr.Status.VerifiedIn["dev"]
	st, _ := store.Stage(t.Context(), b, project, "soaked")
	if in.Since == nil || verified.VerifiedAt == nil || st.Status.FreightHistory[0].Since.Sub(*in.Since) < 2e9 {
		t.Errorf("soaked received the Freight before it had soaked 2s in dev: in dev since %v, soaked since %v", in.Since, st.Status.FreightHistory[0].Since)
	}
}
