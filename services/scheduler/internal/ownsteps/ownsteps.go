// Package ownsteps holds the steps the scheduler runs itself, by name, because they read or
// change the control plane (other Freight, Stage status) rather than a workspace:
// set-metadata and set-freight-alias (docs/steps/set-metadata.md,
// docs/steps/set-freight-alias.md). The human steps are the scheduler's too
// (internal/human).
package ownsteps

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/store"
)

// Step runs one job of the step and returns its result, or an error when NATS is in
// trouble: the event is then redelivered and the step prepared again.
type Step func(ctx context.Context, b *bus.Bus, job *v1.StepJob) (*v1.StepResult, error)

var own = map[string]Step{
	"set-metadata":      setMetadata,
	"set-freight-alias": setAlias,
}

// Find returns the step uses names, when it is one of these.
func Find(uses string) (Step, bool) {
	s, ok := own[uses]
	return s, ok
}

// setMetadata runs set-metadata: it checks the config and that every target exists, then
// returns a result carrying the updates, which the state service applies when it records
// the result — it is the only writer of Stage and Freight status. Secret values in the
// updates are recorded redacted, as in every result.
func setMetadata(ctx context.Context, b *bus.Bus, job *v1.StepJob) (*v1.StepResult, error) {
	r := &v1.StepResult{Status: v1.StepSucceeded}
	cfg, err := steps.Decode[promotion.SetMetadataConfig](&steps.Context{Alias: job.Alias, Config: job.Config}, "set-metadata")
	if err == nil {
		err = checkTargets(ctx, b, job.Project, cfg.Updates)
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

func checkTargets(ctx context.Context, b *bus.Bus, project string, updates []v1.MetadataUpdate) error {
	for i, u := range updates {
		kv, key := b.Resources, bus.ResourceKey(project, v1.KindStage, u.Name)
		if u.Kind == v1.KindFreight {
			kv, key = b.Freight, bus.Key(project, u.Name)
		}
		if _, err := kv.Get(ctx, key); err != nil {
			return fmt.Errorf("config.updates[%d]: %s %q: %w", i, u.Kind, u.Name, err)
		}
	}
	return nil
}

// setAlias runs set-freight-alias: it gives a Freight a new alias. A missing Freight or an
// alias another Freight holds fails the step for good.
func setAlias(ctx context.Context, b *bus.Bus, job *v1.StepJob) (*v1.StepResult, error) {
	r := &v1.StepResult{Status: v1.StepSucceeded}
	var old string
	cfg, err := steps.Decode[aliasConfig](&steps.Context{Alias: job.Alias, Config: job.Config}, "set-freight-alias")
	if err == nil {
		old, err = store.SetAlias(ctx, b, job.Project, cfg.Name, cfg.Alias)
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
