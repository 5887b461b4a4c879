// Package verification carries out a Stage's verification of the Freight a Promotion
// delivered (docs/resources.md#verification), for the state service: it creates the
// verification run, marks the Freight verified when there is nothing to run, and says why
// when it cannot run, as pkg/stage decides; and it runs the verification that waited for the
// Stage to be Healthy.
package verification

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/state/internal/records"
)

// Verifier verifies Freight. Its fields are set by the state service.
type Verifier struct {
	Bus     *bus.Bus
	Records *records.Writer
	// Create stores a new Promotion and queues it, as a create record does.
	Create func(ctx context.Context, r *v1.PromotionRecord) error
}

// Verify runs Stage st's verification of the Freight that p, a successful Promotion,
// delivered or verified (stage.HowToVerify): a verification run is created ahead of the
// Stage's queue; verification Dray cannot run is said on the Stage and in a
// freight.verification.failed event rather than ignored; otherwise the Freight is verified
// at once.
func (v *Verifier) Verify(ctx context.Context, p *v1.Promotion, st *v1.Stage) error {
	project, name, freight := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	if st == nil {
		return nil // the Stage was deleted since
	}
	switch how, why := stage.HowToVerify(p, st); how {
	case stage.RunSteps:
		run, err := promote.Verification(ctx, v.Bus, project, name, freight, p.Metadata.Name, "", p.Metadata.Name, stage.Arrival(p, time.Now()))
		if promote.IsRejected(err) {
			return v.Failed(ctx, p, "the verification cannot run: "+err.Error())
		}
		if err != nil {
			return err
		}
		return v.Create(ctx, &v1.PromotionRecord{Op: v1.RecordCreate, Project: project, Name: run.Metadata.Name, Promotion: run, Front: true})
	case stage.Unsupported:
		return v.Failed(ctx, p, why)
	}
	f, err := store.Freight(ctx, v.Bus, project, freight)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := v.Records.FreightStatus(ctx, project, freight, func(fs *v1.FreightStatus) { stage.MarkVerified(fs, name, now) }); err != nil {
		return err
	}
	// The last Freight verified is where auto-rollback returns to.
	if err := v.Records.Stage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Stable(st, freight, f.Origin, now) }); err != nil {
		return err
	}
	if err := v.set(ctx, project, name, ""); err != nil {
		return err
	}
	// The event is this verification's: its ID names p, the Promotion or verification run
	// that verified the Freight, so a re-verification is announced again while a
	// redelivered record re-sends the same event (pkg/bus/README.md).
	ev := v1.FreightEvent{Project: project, Freight: freight, Alias: f.Alias, Origin: f.Origin, Stage: name}
	return v.Bus.PublishEvent(ctx, project, v1.TypeFreightVerified, p.Metadata.Name+"/freight-verified", "freight/"+freight, ev)
}

// Healthy runs the verification that waits for the Stage to be Healthy (stage.Healthy), then
// clears the wait. A record that comes when nothing waits, or before the Stage is Healthy,
// changes nothing. The verification is started before the wait is cleared, so a crash between
// repeats it, which is idempotent.
func (v *Verifier) Healthy(ctx context.Context, r *v1.StageRecord) error {
	var st v1.StageStatus
	if _, err := v.Bus.GetJSON(ctx, v.Bus.Stages, bus.Key(r.Project, r.Stage), &st); err != nil {
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
		p, err := store.Promotion(ctx, v.Bus, r.Project, waiting)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		sp, err := store.Stage(ctx, v.Bus, r.Project, r.Stage)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if p != nil && sp != nil {
			if err := v.Verify(ctx, p, sp); err != nil {
				return err
			}
		}
	}
	return v.Records.Stage(ctx, r.Project, r.Stage, func(st *v1.StageStatus) bool { return stage.EndHealthWait(st, waiting) })
}

// Failed says on the Stage and in a freight.verification.failed event why the
// Freight p is about was not verified.
func (v *Verifier) Failed(ctx context.Context, p *v1.Promotion, why string) error {
	project, name, freight := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	if err := v.set(ctx, project, name, why); err != nil {
		return err
	}
	ev := v1.FreightEvent{Project: project, Freight: freight, Stage: name, Message: why}
	if f, err := store.Freight(ctx, v.Bus, project, freight); err == nil {
		ev.Alias, ev.Origin = f.Alias, f.Origin
	}
	return v.Bus.PublishEvent(ctx, project, v1.TypeFreightVerificationFailed, p.Metadata.Name+"/verification-failed", "freight/"+freight, ev)
}

func (v *Verifier) set(ctx context.Context, project, name, why string) error {
	return v.Records.Stage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.SetVerification(st, why) })
}
