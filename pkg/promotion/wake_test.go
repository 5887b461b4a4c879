package promotion_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/promotion"
)

func TestWake(t *testing.T) {
	now := t0.Add(time.Hour)
	steps := []v1.PromotionStep{{Uses: "git-clone", As: "clone"}, {Uses: "argocd-wait", As: "wait"}}
	waiting := retryAt(meta("wait", v1.StepRunning, "app is Progressing", false, 2, 0), now.Add(time.Minute))
	tests := []struct {
		name   string
		phase  string
		meta   []v1.StepExecutionMetadata
		step   int
		want   promotion.Action
		wantOK bool
	}{
		{"a step waiting to be polled runs now", v1.PhaseRunning,
			[]v1.StepExecutionMetadata{meta("clone", v1.StepSucceeded, "", true, 1, 0), waiting}, 1,
			promotion.Action{Kind: promotion.RunStep, Step: 1, Attempt: 3}, true},
		{"another step than the one waiting", v1.PhaseRunning,
			[]v1.StepExecutionMetadata{meta("clone", v1.StepSucceeded, "", true, 1, 0), waiting}, 0, promotion.Action{}, false},
		{"a step whose time has come is not waiting", v1.PhaseRunning,
			[]v1.StepExecutionMetadata{meta("clone", v1.StepSucceeded, "", true, 1, 0), retryAt(meta("wait", v1.StepRunning, "", false, 2, 0), now.Add(-time.Second))}, 1,
			promotion.Action{}, false},
		{"a finished promotion", v1.PhaseSucceeded,
			[]v1.StepExecutionMetadata{meta("clone", v1.StepSucceeded, "", true, 1, 0), meta("wait", v1.StepSucceeded, "", true, 3, 0)}, 1, promotion.Action{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &v1.Promotion{Spec: v1.PromotionSpec{Steps: steps}, Status: v1.PromotionStatus{Phase: tt.phase, CurrentStep: 1, StepExecutionMetadata: tt.meta}}
			act, ok := promotion.Wake(p, tt.step, now)
			if ok != tt.wantOK {
				t.Errorf("Wake ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, act); diff != "" {
				t.Errorf("Wake action (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiscardAndClose(t *testing.T) {
	now := t0.Add(time.Hour)
	for _, tc := range []struct {
		name        string
		phase       string
		apply       func(p *v1.Promotion) bool
		wantChanged bool
		wantPhase   string
	}{
		{"discard a queued one", v1.PhasePending, func(p *v1.Promotion) bool { return promotion.Discard(p, "windows closed", now) }, true, v1.PhaseAborted},
		{"discard one that started", v1.PhaseRunning, func(p *v1.Promotion) bool { return promotion.Discard(p, "windows closed", now) }, false, v1.PhaseRunning},
		{"close on a finish record", v1.PhaseRunning, func(p *v1.Promotion) bool {
			return promotion.Close(p, &v1.PromotionRecord{Op: v1.RecordFinish, Phase: v1.PhaseFailed, Message: "step push failed"}, now)
		}, true, v1.PhaseFailed},
		{"close on an abort record", v1.PhaseRunning, func(p *v1.Promotion) bool {
			return promotion.Close(p, &v1.PromotionRecord{Op: v1.RecordAbort, Actor: "ana"}, now)
		}, true, v1.PhaseAborted},
		{"close on a supersede record", v1.PhasePending, func(p *v1.Promotion) bool {
			return promotion.Close(p, &v1.PromotionRecord{Op: v1.RecordSupersede, Message: "a newer candidate"}, now)
		}, true, v1.PhaseSuperseded},
		{"a supersede record leaves a running one", v1.PhaseRunning, func(p *v1.Promotion) bool {
			return promotion.Close(p, &v1.PromotionRecord{Op: v1.RecordSupersede, Message: "a newer candidate"}, now)
		}, false, v1.PhaseRunning},
		{"a finished one keeps its first end", v1.PhaseSucceeded, func(p *v1.Promotion) bool {
			return promotion.Close(p, &v1.PromotionRecord{Op: v1.RecordAbort, Actor: "ana"}, now)
		}, false, v1.PhaseSucceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &v1.Promotion{Status: v1.PromotionStatus{Phase: tc.phase}}
			if got := tc.apply(p); got != tc.wantChanged || p.Status.Phase != tc.wantPhase {
				t.Errorf("changed %v, phase %s; want %v, %s", got, p.Status.Phase, tc.wantChanged, tc.wantPhase)
			}
		})
	}
}
