package state

import (
	"context"
	"errors"
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

// rollbackPolicy reads the autoRollback policy of Stage name (docs/resources.md#auto-rollback);
// nil when it has none, the Stage is gone, or the policy cannot be read (which dray apply
// refuses; it is logged).
func (s *state) rollbackPolicy(ctx context.Context, project, name string) (*pipeline.RollbackPolicy, error) {
	cfg, err := store.ProjectConfig(ctx, s.Bus, project)
	if err != nil || cfg == nil {
		return nil, err
	}
	sp, err := store.Stage(ctx, s.Bus, project, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	policy, err := pipeline.AutoRollbackFor(cfg, sp)
	if err != nil {
		s.Log.Warn("auto-rollback policy cannot be read; no rollback", "project", project, "stage", name, "err", err)
		return nil, nil
	}
	return policy, nil
}

// deviate records p, a failed Promotion or verification run, as a deviation of its Stage when
// the Stage's autoRollback policy answers it (stage.Deviate); rollback acts on it once the
// Stage settles.
func (s *state) deviate(ctx context.Context, p *v1.Promotion) error {
	project, name := p.Metadata.Namespace, p.Spec.Stage
	policy, err := s.rollbackPolicy(ctx, project, name)
	if err != nil || policy == nil {
		return err
	}
	return s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Deviate(st, p, policy) })
}

// rollback carries out what auto-rollback decides in Stage name now (stage.NextRollback):
// skipped deviations are forgotten and announced (stage.rollback.skipped), and the one to roll
// back gets its rollback Promotion, created like any other (it queues, and promotion
// windows and pauses hold it), then is forgotten and announced (stage.rollback.started). The
// Promotion is created before the deviation is forgotten, so a crash between creates it
// again, which is idempotent: its name derives from the failure.
func (s *state) rollback(ctx context.Context, project, name string) error {
	var st v1.StageStatus
	if _, err := s.Bus.GetLatestJSON(ctx, s.Bus.Stages, bus.Key(project, name), &st); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		return err
	}
	if len(st.Deviations) == 0 {
		return nil
	}
	policy, err := s.rollbackPolicy(ctx, project, name)
	if err != nil {
		return err
	}
	maxAge := pipeline.DefaultRollbackMaxAge
	if policy != nil {
		maxAge = policy.MaxAge
	}
	rejected := func(freight string) string {
		f, err := store.Freight(ctx, s.Bus, project, freight)
		if err != nil {
			return "" // the rollback's Build says so
		}
		return pipeline.Rejected(f, name)
	}
	r := stage.NextRollback(&st, time.Now(), maxAge, rejected)
	for _, sk := range r.Skipped {
		if err := s.forgetDeviation(ctx, project, name, sk.Deviation, v1.TypeStageRollbackSkipped, "", "", sk.Why); err != nil {
			return err
		}
	}
	d := r.Start
	if d == nil {
		return nil
	}
	p, err := promote.Rollback(ctx, s.Bus, project, name, r.To.Freight, d.Promotion)
	if promote.IsRejected(err) {
		return s.forgetDeviation(ctx, project, name, *d, v1.TypeStageRollbackSkipped, "", "", "the rollback cannot be built: "+err.Error())
	}
	if err != nil {
		return err
	}
	s.Log.Info("rolling back", "project", project, "stage", name, "from", d.Freight, "to", r.To.Freight, "after", d.Promotion, "promotion", p.Metadata.Name)
	if err := s.create(ctx, &v1.PromotionRecord{Op: v1.RecordCreate, Project: project, Name: p.Metadata.Name, Promotion: p}); err != nil {
		return err
	}
	why := "verification " + d.Promotion + " of " + d.Freight + " " + strings.ToLower(d.Phase)
	if !d.Verification {
		why = "Promotion " + d.Promotion + " of " + d.Freight + " " + strings.ToLower(d.Phase)
	}
	return s.forgetDeviation(ctx, project, name, *d, v1.TypeStageRollbackStarted, p.Metadata.Name, r.To.Freight, why+": returning to "+r.To.Freight)
}

// forgetDeviation forgets d and announces it with an event of type t: the rollback Promotion
// and the Freight it returns to (started), or the failed Promotion (skipped), and why. The event's ID names the failure, so a
// redelivered record re-sends the same event.
func (s *state) forgetDeviation(ctx context.Context, project, name string, d v1.StageDeviation, t, rollback, to, why string) error {
	if err := s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.ForgetDeviation(st, d.Promotion) }); err != nil {
		return err
	}
	ev := v1.StageEvent{Project: project, Stage: name, Actor: v1.ActorAutoRollback, Message: why, Promotion: d.Promotion}
	if rollback != "" {
		ev.Promotion, ev.Freight = rollback, to
	}
	if t == v1.TypeStageRollbackSkipped {
		s.Log.Info("not rolling back", "project", project, "stage", name, "after", d.Promotion, "why", why)
	}
	return s.Bus.PublishEvent(ctx, project, t, project+"/"+name+"/"+lastWord(t)+"/"+d.Promotion, "stage/"+name, ev)
}
