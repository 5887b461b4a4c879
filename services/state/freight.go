package state

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promote"
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
		return s.verify(ctx, p, sp)
	case stage.NotVerified:
		if err := s.verificationFailed(ctx, p, plan.Why); err != nil {
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

// verify runs Stage st's verification of the Freight that p, a successful Promotion,
// delivered or verified (stage.HowToVerify): a verification run is created ahead of the
// Stage's queue; verification Dray cannot run is said on the Stage and in a
// freight.verification.failed event rather than ignored; otherwise the Freight is verified
// at once.
func (s *state) verify(ctx context.Context, p *v1.Promotion, st *v1.Stage) error {
	project, name, freight := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	if st == nil {
		return nil // the Stage was deleted since
	}
	switch how, why := stage.HowToVerify(p, st); how {
	case stage.RunSteps:
		run, err := promote.Verification(ctx, s.Bus, project, name, freight, p.Metadata.Name, "", p.Metadata.Name, stage.Arrival(p, time.Now()))
		if promote.IsRejected(err) {
			return s.verificationFailed(ctx, p, "the verification cannot run: "+err.Error())
		}
		if err != nil {
			return err
		}
		return s.create(ctx, &v1.PromotionRecord{Op: v1.RecordCreate, Project: project, Name: run.Metadata.Name, Promotion: run, Front: true})
	case stage.Unsupported:
		return s.verificationFailed(ctx, p, why)
	}
	f, err := store.Freight(ctx, s.Bus, project, freight)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := s.records.FreightStatus(ctx, project, freight, func(fs *v1.FreightStatus) { stage.MarkVerified(fs, name, now) }); err != nil {
		return err
	}
	// The last Freight verified is where auto-rollback returns to.
	if err := s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Stable(st, freight, f.Origin, now) }); err != nil {
		return err
	}
	if err := s.setVerification(ctx, project, name, ""); err != nil {
		return err
	}
	// The event is this verification's: its ID names p, the Promotion or verification run
	// that verified the Freight, so a re-verification is announced again while a
	// redelivered record re-sends the same event (pkg/bus/README.md).
	ev := v1.FreightEvent{Project: project, Freight: freight, Alias: f.Alias, Origin: f.Origin, Stage: name}
	return s.Bus.PublishEvent(ctx, project, v1.TypeFreightVerified, p.Metadata.Name+"/freight-verified", "freight/"+freight, ev)
}

// healthy runs the verification that waits for the Stage to be Healthy (stage.Healthy), then
// clears the wait. A record that comes when nothing waits, or before the Stage is Healthy,
// changes nothing. The verification is started before the wait is cleared, so a crash between
// repeats it, which is idempotent.
func (s *state) healthy(ctx context.Context, r *v1.StageRecord) error {
	var st v1.StageStatus
	if _, err := s.Bus.GetJSON(ctx, s.Bus.Stages, bus.Key(r.Project, r.Stage), &st); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		return err
	}
	waiting, verify := stage.Healthy(&st)
	if waiting == "" {
		return nil
	}
	if verify {
		p, err := store.Promotion(ctx, s.Bus, r.Project, waiting)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		sp, err := store.Stage(ctx, s.Bus, r.Project, r.Stage)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if p != nil && sp != nil {
			if err := s.verify(ctx, p, sp); err != nil {
				return err
			}
		}
	}
	return s.updateStage(ctx, r.Project, r.Stage, func(st *v1.StageStatus) bool { return stage.EndHealthWait(st, waiting) })
}

// verificationFailed says on the Stage and in a freight.verification.failed event why the
// Freight p is about was not verified.
func (s *state) verificationFailed(ctx context.Context, p *v1.Promotion, why string) error {
	project, name, freight := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	if err := s.setVerification(ctx, project, name, why); err != nil {
		return err
	}
	ev := v1.FreightEvent{Project: project, Freight: freight, Stage: name, Message: why}
	if f, err := store.Freight(ctx, s.Bus, project, freight); err == nil {
		ev.Alias, ev.Origin = f.Alias, f.Origin
	}
	return s.Bus.PublishEvent(ctx, project, v1.TypeFreightVerificationFailed, p.Metadata.Name+"/verification-failed", "freight/"+freight, ev)
}

func (s *state) setVerification(ctx context.Context, project, name, why string) error {
	return s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.SetVerification(st, why) })
}
