package human_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/timer"
	"github.com/drayhq/dray/services/scheduler/internal/human"
)

// TestRun: a wait-for-approval step with no approvals waits (Running, retried at its
// timeout, a timer armed) and, once that is recorded, records nothing more; with its
// approval recorded it succeeds; a bad config fails it for good. At start, Resume decides
// again every Running Promotion at a human step, and no other.
func TestRun(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	var reconciled []string
	timers := &timer.Set{}
	h := &human.Human{Bus: b, Log: slog.New(slog.DiscardHandler), Timers: timers,
		Reconcile: func(_ context.Context, project, name string) error {
			reconciled = append(reconciled, project+"/"+name)
			return nil
		}}
	config := map[string]any{"approvers": map[string]any{"roles": []any{"release-managers"}}, "timeout": "1h"}
	started := time.Now().UTC()
	p := v1.Promotion{Metadata: v1.ObjectMeta{Name: "prod.01a.abc", Namespace: "demo"}, Spec: v1.PromotionSpec{Stage: "prod", Freight: "abc"},
		Status: v1.PromotionStatus{Phase: v1.PhaseRunning, StepExecutionMetadata: []v1.StepExecutionMetadata{
			{Alias: "approve", Uses: promotion.WaitForApproval, Status: v1.StepRunning, StartedAt: &started, Attempts: 1}}}}
	store := func() {
		t.Helper()
		data, _ := json.Marshal(p)
		if _, err := b.Promotions.Put(ctx, bus.Key("demo", p.Metadata.Name), data); err != nil {
			t.Fatal(err)
		}
	}
	store()
	job := &v1.StepJob{Project: "demo", Promotion: p.Metadata.Name, Step: 0, Alias: "approve", Uses: promotion.WaitForApproval, Config: config}

	r, err := h.Run(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if r == nil || r.Status != v1.StepRunning || r.RetryAfter == "" || timers.Len() != 1 {
		t.Fatalf("Run with no approvals = %+v, %d timers; want Running, retried later, a timer armed", r, timers.Len())
	}
	p.Status.StepExecutionMetadata[0].Message = r.Message
	store()
	if r, err := h.Run(ctx, job); err != nil || r != nil {
		t.Errorf("Run once its wait is recorded = %+v, %v; want nil (nothing more to record)", r, err)
	}

	p.Status.StepExecutionMetadata[0].Inputs = []v1.StepInput{{Actor: "email:ana@example.com", Approved: true, At: started}}
	store()
	if r, err := h.Run(ctx, job); err != nil || r == nil || r.Status != v1.StepSucceeded {
		t.Errorf("Run with an approval = %+v, %v; want Succeeded", r, err)
	}

	bad := *job
	bad.Config = map[string]any{"approvers": "everyone"}
	if r, err := h.Run(ctx, &bad); err != nil || r == nil || r.Status != v1.StepFailed || !r.Terminal || r.Reason != "InvalidConfig" {
		t.Errorf("Run with a bad config = %+v, %v; want Failed for good, InvalidConfig", r, err)
	}

	other := v1.Promotion{Metadata: v1.ObjectMeta{Name: "dev.01b.abc", Namespace: "demo"}, Spec: v1.PromotionSpec{Stage: "dev", Freight: "abc"},
		Status: v1.PromotionStatus{Phase: v1.PhaseRunning, StepExecutionMetadata: []v1.StepExecutionMetadata{{Alias: "clone", Uses: "git-clone", Status: v1.StepRunning}}}}
	data, _ := json.Marshal(other)
	if _, err := b.Promotions.Put(ctx, bus.Key("demo", other.Metadata.Name), data); err != nil {
		t.Fatal(err)
	}
	if err := h.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if len(reconciled) != 1 || reconciled[0] != "demo/prod.01a.abc" {
		t.Errorf("Resume decided %v again; want only demo/prod.01a.abc", reconciled)
	}
}
