// Package human decides the human steps the scheduler runs (docs/steps/wait-for-approval.md,
// docs/steps/get-user-input.md) from the inputs recorded on them, as pkg/promotion decides
// (promotion.Human), and arms the timers of their timeouts.
package human

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/timer"
)

// Human decides human steps. Its fields are set by the scheduler.
type Human struct {
	Bus *bus.Bus
	Log *slog.Logger
	// Timers holds, under human/<project>.<promotion>, when a waiting step times out.
	Timers *timer.Set
	// Reconcile does what a recorded Promotion needs next, as its events do.
	Reconcile func(ctx context.Context, project, name string) error
}

// Run decides a human step (docs/steps/wait-for-approval.md, docs/steps/get-user-input.md)
// from the inputs recorded on it. It returns nil, recording nothing, while the step waits
// and its recorded message still says why: the step is decided again when an input is
// recorded (its event reaches Reconcile) or when its timeout passes (a timer, armed here and
// again at start by Resume), never by polling.
func (h *Human) Run(ctx context.Context, job *v1.StepJob) (*v1.StepResult, error) {
	var p v1.Promotion
	if _, err := h.Bus.GetLatestJSON(ctx, h.Bus.Promotions, bus.Key(job.Project, job.Promotion), &p); err != nil {
		return nil, err
	}
	cfg, err := promotion.DecodeHuman(job.Uses, job.Alias, job.Config)
	if err != nil {
		return &v1.StepResult{Status: v1.StepFailed, Terminal: true, Reason: "InvalidConfig", Message: err.Error()}, nil
	}
	var m *v1.StepExecutionMetadata
	if job.Step < len(p.Status.StepExecutionMetadata) {
		m = &p.Status.StepExecutionMetadata[job.Step]
	}
	now := time.Now()
	o := promotion.Human(job.Uses, cfg, m, p.Metadata.Annotations[v1.AnnotationCreateActor], now)
	r := &v1.StepResult{Status: o.Status, Reason: o.Reason, Message: o.Message, Outputs: o.Outputs}
	switch o.Status {
	case v1.StepRunning:
		project, name := job.Project, job.Promotion
		h.Timers.At("human/"+bus.Key(project, name), o.Deadline, func(ctx context.Context) {
			if err := h.Reconcile(ctx, project, name); err != nil && ctx.Err() == nil {
				h.Log.Warn("human step not decided at its timeout; it is on the next event or restart", "project", project, "promotion", name, "err", err)
			}
		})
		if m != nil && m.Status == v1.StepRunning && m.Message == o.Message {
			return nil, nil // recorded already: wait
		}
		r.RetryAfter = max(time.Until(o.Deadline), time.Second).Round(time.Second).String()
	case v1.StepFailed:
		r.Terminal, r.Message = true, fmt.Sprintf("step %q: %s", job.Alias, o.Message)
	}
	return r, nil
}

// Resume decides again, at start, every Running Promotion whose current step is a human
// one: that arms the timers of their timeouts, which do not outlive the process.
func (h *Human) Resume(ctx context.Context) error {
	ps, err := store.List[v1.Promotion](ctx, h.Bus, h.Bus.Promotions, ">")
	if err != nil {
		return err
	}
	for _, p := range ps {
		meta := p.Status.StepExecutionMetadata
		if p.Status.Phase != v1.PhaseRunning || p.Status.CurrentStep >= len(meta) || !promotion.IsHuman(meta[p.Status.CurrentStep].Uses) {
			continue
		}
		if err := h.Reconcile(ctx, p.Metadata.Namespace, p.Metadata.Name); err != nil {
			return err
		}
	}
	return nil
}
