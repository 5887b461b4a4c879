package state

import (
	"context"
	"errors"

	v1 "github.com/drayhq/dray/pkg/api/v1"
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
		if err := s.arrivals.Receive(ctx, p, sp); err != nil {
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
