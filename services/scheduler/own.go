package scheduler

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/services/scheduler/internal/ownsteps"
)

// Runs reports whether the scheduler runs the step kind uses itself
// (promotion.PrepareOptions.Orchestrated): its own steps (internal/ownsteps) and the human
// steps (internal/human).
func Runs(uses string) bool {
	_, ok := ownsteps.Find(uses)
	return ok || promotion.IsHuman(uses)
}

// runOwn runs job, one of the steps the scheduler runs, and publishes its result, redacted of
// the secrets its config read, as every result is.
func (s *scheduler) runOwn(ctx context.Context, job *v1.StepJob, secrets []string) error {
	run, ok := ownsteps.Find(job.Uses)
	if promotion.IsHuman(job.Uses) {
		run, ok = func(ctx context.Context, _ *bus.Bus, job *v1.StepJob) (*v1.StepResult, error) {
			return s.human.Run(ctx, job) // a nil result: it still waits, recorded already
		}, true
	}
	if !ok {
		return bus.Poison(bus.ReasonInvalid, fmt.Errorf("step %q: %s is not a step the scheduler runs", job.Alias, job.Uses))
	}
	started := time.Now().UTC()
	r, err := run(ctx, s.Bus, job)
	if err != nil || r == nil {
		return err
	}
	r.Project, r.Promotion, r.Step, r.Alias, r.Uses = job.Project, job.Promotion, job.Step, job.Alias, job.Uses
	r.Attempt, r.Workspace, r.StartedAt, r.Executor, r.Config = job.Attempt, job.Workspace, started, promotion.Scheduler, job.RecordedConfig
	r.FinishedAt = time.Now().UTC()
	return s.Bus.Publish(ctx, bus.StepResultSubject(r.Project), r.ID(), secret.NewRedactor(secrets).Result(r))
}
