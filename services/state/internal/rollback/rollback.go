// Package rollback carries out auto-rollback (docs/resources.md#auto-rollback) for the state
// service: it records failures as deviations of their Stage, and once the Stage settles
// creates the rollback Promotion that pkg/stage decides on, or says why none is made.
package rollback

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
)

// Roller carries out auto-rollback. Its fields are set by the state service.
type Roller struct {
	Bus *bus.Bus
	Log *slog.Logger
	// Stage applies change to a Stage's status with compare-and-set.
	Stage func(ctx context.Context, project, stage string, change func(*v1.StageStatus) bool) error
	// Create stores a new Promotion and queues it, as a create record does.
	Create func(ctx context.Context, r *v1.PromotionRecord) error
}

// policy reads the autoRollback policy of Stage name (docs/resources.md#auto-rollback);
// nil when it has none, the Stage is gone, or the policy cannot be read (which dray apply
// refuses; it is logged).
func (rb *Roller) policy(ctx context.Context, project, name string) (*pipeline.RollbackPolicy, error) {
	cfg, err := store.ProjectConfig(ctx, rb.Bus, project)
	if err != nil || cfg == nil {
		return nil, err
	}
	sp, err := store.Stage(ctx, rb.Bus, project, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	policy, err := pipeline.AutoRollbackFor(cfg, sp)
	if err != nil {
		rb.Log.Warn("auto-rollback policy cannot be read; no rollback", "project", project, "stage", name, "err", err)
		return nil, nil
	}
	return policy, nil
}

// Deviate records p, a failed Promotion or verification run, as a deviation of its Stage when
// the Stage's autoRollback policy answers it (stage.Deviate); Run acts on it once the
// Stage settles.
func (rb *Roller) Deviate(ctx context.Context, p *v1.Promotion) error {
	project, name := p.Metadata.Namespace, p.Spec.Stage
	policy, err := rb.policy(ctx, project, name)
	if err != nil || policy == nil {
		return err
	}
	return rb.Stage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Deviate(st, p, policy) })
}

// Run carries out what auto-rollback decides in Stage name now (stage.NextRollback):
// skipped deviations are forgotten and announced (stage.rollback.skipped), and the one to roll
// back gets its rollback Promotion, created like any other (it queues, and promotion
// windows and pauses hold it), then is forgotten and announced (stage.rollback.started). The
// Promotion is created before the deviation is forgotten, so a crash between creates it
// again, which is idempotent: its name derives from the failure.
func (rb *Roller) Run(ctx context.Context, project, name string) error {
	var st v1.StageStatus
	if _, err := rb.Bus.GetLatestJSON(ctx, rb.Bus.Stages, bus.Key(project, name), &st); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		return err
	}
	if len(st.Deviations) == 0 {
		return nil
	}
	policy, err := rb.policy(ctx, project, name)
	if err != nil {
		return err
	}
	maxAge := pipeline.DefaultRollbackMaxAge
	if policy != nil {
		maxAge = policy.MaxAge
	}
	rejected := func(freight string) string {
		f, err := store.Freight(ctx, rb.Bus, project, freight)
		if err != nil {
			return "" // the rollback's Build says so
		}
		return pipeline.Rejected(f, name)
	}
	r := stage.NextRollback(&st, time.Now(), maxAge, rejected)
	for _, sk := range r.Skipped {
		if err := rb.forgetDeviation(ctx, project, name, sk.Deviation, v1.TypeStageRollbackSkipped, "", "", sk.Why); err != nil {
			return err
		}
	}
	d := r.Start
	if d == nil {
		return nil
	}
	p, err := promote.Rollback(ctx, rb.Bus, project, name, r.To.Freight, d.Promotion)
	if promote.IsRejected(err) {
		return rb.forgetDeviation(ctx, project, name, *d, v1.TypeStageRollbackSkipped, "", "", "the rollback cannot be built: "+err.Error())
	}
	if err != nil {
		return err
	}
	rb.Log.Info("rolling back", "project", project, "stage", name, "from", d.Freight, "to", r.To.Freight, "after", d.Promotion, "promotion", p.Metadata.Name)
	if err := rb.Create(ctx, &v1.PromotionRecord{Op: v1.RecordCreate, Project: project, Name: p.Metadata.Name, Promotion: p}); err != nil {
		return err
	}
	why := "verification " + d.Promotion + " of " + d.Freight + " " + strings.ToLower(d.Phase)
	if !d.Verification {
		why = "Promotion " + d.Promotion + " of " + d.Freight + " " + strings.ToLower(d.Phase)
	}
	return rb.forgetDeviation(ctx, project, name, *d, v1.TypeStageRollbackStarted, p.Metadata.Name, r.To.Freight, why+": returning to "+r.To.Freight)
}

// forgetDeviation forgets d and announces it with an event of type t: the rollback Promotion
// and the Freight it returns to (started), or the failed Promotion (skipped), and why. The event's ID names the failure, so a
// redelivered record re-sends the same event.
func (rb *Roller) forgetDeviation(ctx context.Context, project, name string, d v1.StageDeviation, t, rollback, to, why string) error {
	if err := rb.Stage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.ForgetDeviation(st, d.Promotion) }); err != nil {
		return err
	}
	ev := v1.StageEvent{Project: project, Stage: name, Actor: v1.ActorAutoRollback, Message: why, Promotion: d.Promotion}
	if rollback != "" {
		ev.Promotion, ev.Freight = rollback, to
	}
	if t == v1.TypeStageRollbackSkipped {
		rb.Log.Info("not rolling back", "project", project, "stage", name, "after", d.Promotion, "why", why)
	}
	return rb.Bus.PublishEvent(ctx, project, t, project+"/"+name+"/"+t[strings.LastIndexByte(t, '.')+1:]+"/"+d.Promotion, "stage/"+name, ev)
}
