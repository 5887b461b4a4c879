package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
)

// setMetadata runs set-metadata: it checks the config and that every target exists, then
// publishes a result carrying the updates, which the state service applies when it records
// the result — it is the only writer of Stage and Freight status.
func (s *scheduler) setMetadata(ctx context.Context, job *v1.StepJob) error {
	started := time.Now().UTC()
	r := &v1.StepResult{
		Project: job.Project, Promotion: job.Promotion, Step: job.Step, Alias: job.Alias, Uses: job.Uses,
		Attempt: job.Attempt, Workspace: job.Workspace, StartedAt: started, Executor: promotion.Scheduler,
		Config: job.RecordedConfig, Status: v1.StepSucceeded,
	}
	cfg, err := steps.Decode[promotion.SetMetadataConfig](&steps.Context{Alias: job.Alias, Config: job.Config}, "set-metadata")
	if err == nil {
		err = s.checkTargets(ctx, job.Project, cfg.Updates)
	}
	switch {
	case err == nil:
		r.Metadata = cfg.Updates
	case errors.Is(err, steps.ErrInvalidConfig):
		r.Status, r.Terminal, r.Reason, r.Message = v1.StepFailed, true, "InvalidConfig", err.Error()
	case errors.Is(err, jetstream.ErrKeyNotFound):
		r.Status, r.Terminal, r.Reason, r.Message = v1.StepErrored, true, "TargetNotFound", fmt.Sprintf("step %q: %v", job.Alias, err)
	default:
		return err // NATS trouble: the event is redelivered and the step prepared again
	}
	r.FinishedAt = time.Now().UTC()
	return s.Bus.Publish(ctx, bus.StepResultSubject(r.Project), r.ID(), r)
}

func (s *scheduler) checkTargets(ctx context.Context, project string, updates []v1.MetadataUpdate) error {
	for i, u := range updates {
		kv, key := s.Bus.Resources, bus.ResourceKey(project, v1.KindStage, u.Name)
		if u.Kind == v1.KindFreight {
			kv, key = s.Bus.Freight, bus.Key(project, u.Name)
		}
		if _, err := kv.Get(ctx, key); err != nil {
			return fmt.Errorf("config.updates[%d]: %s %q: %w", i, u.Kind, u.Name, err)
		}
	}
	return nil
}
