package promotion_test

import (
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/promotion"
)

// TestOrchestratorSteps: the steps routed to the orchestrator are found by name. Prepare runs
// those that need only their config (compose-output, fail) itself, hands the caller the job
// of those it says it runs (Orchestrated), and reports the rest as not implemented.
func TestOrchestratorSteps(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	route := func(uses string) (string, bool) { return promotion.Scheduler, true }
	callerRuns := func(uses string) bool { return uses == "set-metadata" }
	tests := []struct {
		uses         string
		config       map[string]any
		orchestrated func(string) bool
		wantJob      bool
		wantStatus   string
		wantReason   string
	}{
		{uses: "compose-output", config: map[string]any{"a": "b"}, orchestrated: callerRuns, wantStatus: v1.StepSucceeded},
		{uses: "compose-output", orchestrated: callerRuns, wantStatus: v1.StepFailed, wantReason: "InvalidConfig"},
		{uses: "fail", orchestrated: callerRuns, wantStatus: v1.StepFailed, wantReason: "Failed"},
		{uses: "set-metadata", config: map[string]any{"updates": []any{}}, orchestrated: callerRuns, wantJob: true},
		{uses: "set-metadata", config: map[string]any{"updates": []any{}}, wantStatus: v1.StepErrored, wantReason: "NotImplemented"},
		{uses: "record-audit-event", orchestrated: callerRuns, wantStatus: v1.StepErrored, wantReason: "NotImplemented"},
	}
	for _, tt := range tests {
		name := tt.uses
		if tt.orchestrated == nil {
			name += " without a caller that runs it"
		}
		t.Run(name, func(t *testing.T) {
			p, err := promotion.New(promotion.Request{
				Project: "demo", Name: "dev.x.f00dfee", Now: now,
				Stage: &v1.Stage{
					Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"},
					Spec: v1.StageSpec{PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{
						Steps: []v1.PromotionStep{{Uses: tt.uses, As: "s", Config: tt.config}}}}},
				},
				Freight: &v1.Freight{Metadata: v1.ObjectMeta{Name: "f00dfeed1234"}, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			promotion.Start(p, now)
			prep := promotion.Prepare(expr.New(), p, promotion.Next(p, now), promotion.PrepareOptions{Route: route, Now: now, Orchestrated: tt.orchestrated})
			if tt.wantJob {
				if prep.Job == nil || prep.Executor != promotion.Scheduler || prep.Result != nil {
					t.Fatalf("Prepare() = %+v, want a job for the scheduler", prep)
				}
				return
			}
			if prep.Result == nil || prep.Result.Status != tt.wantStatus || prep.Result.Reason != tt.wantReason {
				t.Fatalf("Prepare() result = %+v, want status %s, reason %q", prep.Result, tt.wantStatus, tt.wantReason)
			}
		})
	}
	for uses, want := range map[string]bool{"compose-output": true, "fail": true, "set-metadata": false, "git-push": false} {
		if got := promotion.LocalStep(uses); got != want {
			t.Errorf("LocalStep(%q) = %v, want %v", uses, got, want)
		}
	}
}
