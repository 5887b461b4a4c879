package e2e_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

func verifyingStage(name string, src v1.FreightSources, verification ...v1.PromotionStep) v1.Stage {
	s := v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: name, Namespace: project},
		Spec: v1.StageSpec{
			RequestedFreight: []v1.FreightRequest{{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, Sources: src}},
			PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
				{Uses: "compose-output", As: "deploy", Config: map[string]any{"to": "${{ ctx.stage }}"}},
			}}},
		},
	}
	if len(verification) > 0 {
		s.Spec.Verification = &v1.Verification{Steps: verification}
	}
	return s
}

// TestVerificationSteps: a Stage's verification steps run after its Promotion, ahead of
// anything queued; their success verifies the Freight there, which lets the auto-promoting
// downstream Stage take it; a failing verification says why and gates nothing downstream;
// dray verify runs it again.
func TestVerificationSteps(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	putProjectConfig(t, b, v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{
		{StageSelector: &v1.StageSelector{Name: "glob:after-*"}, AutoPromotionEnabled: true},
	}})
	smoke := v1.PromotionStep{Uses: "compose-output", As: "smoke", Config: map[string]any{"checked": "${{ ctx.targetFreight.name }}"}}
	broken := v1.PromotionStep{Uses: "fail", As: "smoke", Config: map[string]any{"message": "smoke test: 3 of 12 checks failed"}}
	for _, s := range []v1.Stage{
		verifyingStage("good", v1.FreightSources{Direct: true}, smoke),
		verifyingStage("after-good", v1.FreightSources{Stages: []string{"good"}}),
		verifyingStage("bad", v1.FreightSources{Direct: true}, broken),
		verifyingStage("after-bad", v1.FreightSources{Stages: []string{"bad"}}),
	} {
		putResource(t, b, project, v1.KindStage, s.Metadata.Name, s)
	}
	f := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v9"}},
	})
	publishPromote(t, ns, "good", f)
	publishPromote(t, ns, "bad", f)

	// good: promoted, verified by its steps, then after-good takes the Freight by itself.
	waitFor(t, "after-good to receive and verify the Freight", func() bool {
		fr, err := store.Freight(t.Context(), b, project, f)
		if err != nil {
			return false
		}
		_, ok := fr.Status.VerifiedIn["after-good"]
		return ok && lastPhase(t, b, "after-good") == v1.PhaseSucceeded
	})
	// bad: promoted, its verification fails, and the Stage says why.
	waitFor(t, "bad's verification to fail", func() bool {
		st, err := store.Stage(t.Context(), b, project, "bad")
		return err == nil && strings.Contains(st.Status.Verification, "3 of 12 checks failed")
	})

	fr, err := store.Freight(t.Context(), b, project, f)
	if err != nil {
		t.Fatal(err)
	}
	verified := slices.Sorted(maps.Keys(fr.Status.VerifiedIn))
	if !slices.Equal(verified, []string{"after-good", "good"}) {
		t.Errorf("Freight verified in %v, want [after-good good]: bad's failed verification must not verify it", verified)
	}
	if st, _ := store.Stage(t.Context(), b, project, "after-bad"); st.Status.LastPromotion != nil {
		t.Errorf("after-bad was promoted although bad's verification failed: %+v", st.Status.LastPromotion)
	}

	// The verification ran after the Promotion and before the Freight was verified.
	var story []string
	for _, e := range events(t, b, project) {
		var d struct{ Stage, Promotion string }
		if json.Unmarshal(e.Data, &d) != nil || d.Stage != "good" {
			continue
		}
		kind := "promotion"
		if p, err := store.Promotion(t.Context(), b, project, d.Promotion); err == nil {
			if _, ok := p.Metadata.Annotations[v1.AnnotationVerifies]; ok {
				kind = "verification"
			}
		}
		switch e.Type {
		case v1.TypePromotionSucceeded:
			story = append(story, kind+" succeeded")
		case v1.TypeFreightVerified:
			story = append(story, "freight verified")
		}
	}
	if want := []string{"promotion succeeded", "verification succeeded", "freight verified"}; !slices.Equal(story, want) {
		t.Errorf("good's story = %q, want %q", story, want)
	}
	failed := func() int {
		n := 0
		for _, e := range events(t, b, project) {
			if e.Type == v1.TypeFreightVerificationFailed {
				n++
			}
		}
		return n
	}
	waitFor(t, "bad's freight.verification.failed event", func() bool { return failed() >= 1 })
	if n := failed(); n != 1 {
		t.Errorf("%d freight.verification.failed events, want 1 (bad's)", n)
	}

	// dray verify runs good's verification again.
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "verify"), "verify-1", v1.VerifyCommand{Stage: "good", ID: "again"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a second verification run of good", func() bool { return verificationRuns(t, b, "good") == 2 })
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func lastPhase(t *testing.T, b *bus.Bus, stage string) string {
	st, err := store.Stage(t.Context(), b, project, stage)
	if err != nil || st.Status.LastPromotion == nil {
		return ""
	}
	return st.Status.LastPromotion.Phase
}

// verificationRuns counts the finished, successful verification runs of a Stage.
func verificationRuns(t *testing.T, b *bus.Bus, stage string) int {
	ps, err := listPromotions(t, b)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps {
		if _, ok := p.Metadata.Annotations[v1.AnnotationVerifies]; ok && p.Spec.Stage == stage && p.Status.Phase == v1.PhaseSucceeded {
			n++
		}
	}
	return n
}
