package stage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/stage"
)

// TestDiscard: when a Stage's windows close, its queued Pending Promotions are discarded, but
// not verification runs, overrides, Promotions scheduled for later, ones that already
// started, nor any when the closing window keeps them.
func TestDiscard(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	pending := func(ann map[string]string) *v1.Promotion {
		return &v1.Promotion{Metadata: v1.ObjectMeta{Annotations: ann}, Status: v1.PromotionStatus{Phase: v1.PhasePending}}
	}
	promotions := map[string]*v1.Promotion{
		"manual":   pending(nil),
		"auto":     pending(map[string]string{v1.AnnotationCreateActor: v1.ActorAutoPromotion}),
		"verify":   pending(map[string]string{v1.AnnotationVerifies: "f"}),
		"override": pending(map[string]string{v1.AnnotationWindowOverride: "email:ana@example.com"}),
		"later":    pending(map[string]string{v1.AnnotationPromoteAfter: now.Add(time.Hour).Format(time.RFC3339)}),
		"was-due":  pending(map[string]string{v1.AnnotationPromoteAfter: now.Add(-time.Hour).Format(time.RFC3339)}),
		"running":  {Status: v1.PromotionStatus{Phase: v1.PhaseRunning}},
		"unphased": {},
	}
	queue := func(names ...string) []v1.PromotionReference {
		var out []v1.PromotionReference
		for _, n := range names {
			class := v1.ClassManual
			if n == "verify" {
				class = v1.ClassVerification
			}
			out = append(out, v1.PromotionReference{Name: n, Class: class})
		}
		return out
	}
	tests := []struct {
		name   string
		queued []v1.PromotionReference
		keep   bool
		want   []string
	}{
		{"empty queue", nil, false, nil},
		{"every pending kind", queue("verify", "manual", "override", "later", "was-due", "auto", "running", "unphased", "gone"), false,
			[]string{"manual", "was-due", "auto", "unphased"}},
		{"kept by the window", queue("manual", "auto"), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, stage.Discard(tt.queued, promotions, tt.keep, now)); diff != "" {
				t.Errorf("Discard() (-want +got):\n%s", diff)
			}
		})
	}
}
