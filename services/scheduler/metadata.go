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
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/store"
)

// ownSteps are the steps the scheduler runs itself, by name: they read or change the
// control plane (other Freight, Stage status) rather than a workspace. Route sends them to
// promotion.Scheduler; dispatch finds them here. Each returns its result, or an error when
// NATS is in trouble: the event is then redelivered and the step prepared again. The human
// steps (human.go) are the scheduler's too.
var ownSteps = map[string]func(s *scheduler, ctx context.Context, job *v1.StepJob) (*v1.StepResult, error){
	"set-metadata":      (*scheduler).setMetadata,
	"set-freight-alias": (*scheduler).setAlias,
}

// Runs reports whether the scheduler runs the step kind uses itself
// (promotion.PrepareOptions.Orchestrated).
func Runs(uses string) bool {
	_, ok := ownSteps[uses]
	return ok || promotion.IsHuman(uses)
}

// runOwn runs job, one of ownSteps, and publishes its result, redacted of the secrets its
// config read, as every result is.
func (s *scheduler) runOwn(ctx context.Context, job *v1.StepJob, secrets []string) error {
	run, ok := ownSteps[job.Uses]
	if promotion.IsHuman(job.Uses) {
		run, ok = (*scheduler).runHuman, true // a nil result: it still waits, recorded already
	}
	if !ok {
		return bus.Poison(bus.ReasonInvalid, fmt.Errorf("step %q: %s is not a step the scheduler runs", job.Alias, job.Uses))
	}
	started := time.Now().UTC()
	r, err := run(s, ctx, job)
	if err != nil || r == nil {
		return err
	}
	r.Project, r.Promotion, r.Step, r.Alias, r.Uses = job.Project, job.Promotion, job.Step, job.Alias, job.Uses
	r.Attempt, r.Workspace, r.StartedAt, r.Executor, r.Config = job.Attempt, job.Workspace, started, promotion.Scheduler, job.RecordedConfig
	r.FinishedAt = time.Now().UTC()
	return s.Bus.Publish(ctx, bus.StepResultSubject(r.Project), r.ID(), secret.NewRedactor(secrets).Result(r))
}

// setMetadata runs set-metadata: it checks the config and that every target exists, then
// returns a result carrying the updates, which the state service applies when it records
// the result — it is the only writer of Stage and Freight status. Secret values in the
// updates are recorded redacted, as in every result.
func (s *scheduler) setMetadata(ctx context.Context, job *v1.StepJob) (*v1.StepResult, error) {
	r := &v1.StepResult{Status: v1.StepSucceeded}
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
		return nil, err
	}
	return r, nil
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

// setAlias runs set-freight-alias (docs/steps/set-freight-alias.md): it gives a Freight a new alias. A missing
// Freight or an alias another Freight holds fails the step for good.
func (s *scheduler) setAlias(ctx context.Context, job *v1.StepJob) (*v1.StepResult, error) {
	r := &v1.StepResult{Status: v1.StepSucceeded}
	var old string
	cfg, err := steps.Decode[aliasConfig](&steps.Context{Alias: job.Alias, Config: job.Config}, "set-freight-alias")
	if err == nil {
		old, err = store.SetAlias(ctx, s.Bus, job.Project, cfg.Name, cfg.Alias)
	}
	switch {
	case err == nil:
		r.Message = fmt.Sprintf("alias of Freight %s: %q → %q", cfg.Name, old, cfg.Alias)
	case errors.Is(err, steps.ErrInvalidConfig), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAliasTaken), errors.Is(err, jetstream.ErrInvalidKey):
		r.Status, r.Terminal, r.Reason, r.Message = v1.StepFailed, true, "AliasNotSet", fmt.Sprintf("step %q: %v", job.Alias, err)
	default:
		return nil, err
	}
	return r, nil
}

// aliasConfig is the config of set-freight-alias (schemas/steps/set-freight-alias.json).
type aliasConfig struct {
	Name  string `json:"name"`
	Alias string `json:"alias"`
}
