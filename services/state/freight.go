package state

import (
	"context"
	"errors"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
)

// follow carries out what follows the end of p in its Stage (stage.Finished): where its
// Freight now is, the Stage's auto-promotion holds, and the Freight's verification or its
// wait for the Stage to be Healthy.
func (s *state) follow(ctx context.Context, p *v1.Promotion) error {
	plan := stage.Finished(p, len(promotion.HealthChecks(p)) > 0)
	var sp *v1.Stage // nil when it was deleted since
	if p.Status.Phase == v1.PhaseSucceeded {
		var err error
		if sp, err = store.Stage(ctx, s.Bus, p.Metadata.Namespace, p.Spec.Stage); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if plan.Receive {
		if err := s.receive(ctx, p, sp); err != nil {
			return err
		}
	}
	switch plan.Then {
	case stage.AwaitHealth:
		// The scheduler sends a healthy record when the Stage is Healthy.
		return s.updateStage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(st *v1.StageStatus) bool {
			return stage.WaitForHealth(st, p.Metadata.Name)
		})
	case stage.Verify:
		return s.verifier.Verify(ctx, p, sp)
	case stage.NotVerified:
		if err := s.verifier.Failed(ctx, p, plan.Why); err != nil {
			return err
		}
	}
	if p.Status.Phase == v1.PhaseFailed || p.Status.Phase == v1.PhaseErrored {
		return s.deviate(ctx, p)
	}
	return nil
}

// receive records that p's Freight is now in p's Stage sp, with the hold p sets or lifts:
// a hold is set before the Stage holds p's Freight and lifted after (stage.ApplyHold).
func (s *state) receive(ctx context.Context, p *v1.Promotion, sp *v1.Stage) error {
	project := p.Metadata.Namespace
	change, err := stage.HoldFor(p, sp, time.Now(),
		func() (*v1.ProjectConfig, error) { return store.ProjectConfig(ctx, s.Bus, project) },
		func() ([]v1.Freight, error) {
			return store.List[v1.Freight](ctx, s.Bus, s.Bus.Freight, bus.Key(project, ">"))
		})
	if err != nil {
		return err
	}
	hold := func() error {
		if change == stage.HoldKeep {
			return nil
		}
		return s.updateStage(ctx, project, p.Spec.Stage, func(st *v1.StageStatus) bool { return stage.ApplyHold(st, p, change) })
	}
	if change != stage.HoldLift {
		if err := hold(); err != nil {
			return err
		}
	}
	if err := s.received(ctx, p, sp); err != nil {
		return err
	}
	if change == stage.HoldLift {
		return hold()
	}
	return nil
}

// received records that p's Freight is now in p's Stage sp (stage.Receive): the Freight of
// the same origin it replaces leaves the Stage, keeping its longest soak; the new one is
// currentlyIn the Stage from when p finished.
func (s *state) received(ctx context.Context, p *v1.Promotion, sp *v1.Stage) error {
	project, name, freight := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	at, requested := stage.Arrival(p, time.Now()), stage.Requested(sp)
	var previous string
	err := s.updateStage(ctx, project, name, func(st *v1.StageStatus) (changed bool) {
		previous, changed = stage.Receive(st, p, requested, at)
		return changed
	})
	if err != nil {
		return err
	}
	if previous != "" && previous != freight {
		if err := s.records.FreightStatus(ctx, project, previous, func(fs *v1.FreightStatus) { stage.Leave(fs, name, at) }); err != nil {
			return err
		}
	}
	return s.records.FreightStatus(ctx, project, freight, func(fs *v1.FreightStatus) { stage.Arrive(fs, name, at) })
}
