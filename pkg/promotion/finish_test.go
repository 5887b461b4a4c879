package promotion_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/promotion"
)

func TestEnd(t *testing.T) {
	now := t0.Add(time.Hour)
	earlier := t0.Add(time.Minute)
	tests := []struct {
		name        string
		status      v1.PromotionStatus
		wantChanged bool
		want        v1.PromotionStatus
	}{
		{
			name:        "a running promotion ends as decided",
			status:      v1.PromotionStatus{Phase: v1.PhaseRunning},
			wantChanged: true,
			want:        v1.PromotionStatus{Phase: v1.PhaseFailed, Message: "step push failed", FinishedAt: &now},
		},
		{
			name:   "a finished promotion keeps its first end",
			status: v1.PromotionStatus{Phase: v1.PhaseAborted, Message: "Promotion terminated by ana", FinishedAt: &earlier},
			want:   v1.PromotionStatus{Phase: v1.PhaseAborted, Message: "Promotion terminated by ana", FinishedAt: &earlier},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &v1.Promotion{Status: tt.status}
			if got := promotion.End(p, v1.PhaseFailed, "step push failed", now); got != tt.wantChanged {
				t.Errorf("End() = %v, want %v", got, tt.wantChanged)
			}
			if diff := cmp.Diff(tt.want, p.Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSupersede(t *testing.T) {
	now := t0.Add(time.Hour)
	const why = "superseded by the auto-promotion of Freight f2"
	tests := []struct {
		name        string
		status      v1.PromotionStatus
		wantChanged bool
		want        v1.PromotionStatus
	}{
		{
			name:        "a queued Promotion is superseded and never runs",
			status:      v1.PromotionStatus{Phase: v1.PhasePending},
			wantChanged: true,
			want:        v1.PromotionStatus{Phase: v1.PhaseSuperseded, Message: why, FinishedAt: &now},
		},
		{
			name:   "one that started meanwhile runs on",
			status: v1.PromotionStatus{Phase: v1.PhaseRunning},
			want:   v1.PromotionStatus{Phase: v1.PhaseRunning},
		},
		{
			name:   "a finished one keeps its end",
			status: v1.PromotionStatus{Phase: v1.PhaseAborted},
			want:   v1.PromotionStatus{Phase: v1.PhaseAborted},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &v1.Promotion{Status: tt.status}
			if got := promotion.Supersede(p, why, now); got != tt.wantChanged {
				t.Errorf("Supersede() = %v, want %v", got, tt.wantChanged)
			}
			if diff := cmp.Diff(tt.want, p.Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if tt.wantChanged && !p.Status.Finished() {
				t.Error("a superseded Promotion is not Finished()")
			}
		})
	}
}
