package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/store"
)

// setLast records p, finished, as the Stage's last Promotion, and its Freight as the Stage's
// when it succeeded; p leaves the Stage's current slot or queue.
func (s *state) setLast(ctx context.Context, p *v1.Promotion) error {
	return s.updateStage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(st *v1.StageStatus) bool {
		changed := false
		if st.CurrentPromotion != nil && st.CurrentPromotion.Name == p.Metadata.Name {
			st.CurrentPromotion, changed = nil, true
		}
		if i := queued(st, p.Metadata.Name); i >= 0 {
			st.Queued, changed = slices.Delete(st.Queued, i, i+1), true
		}
		if st.LastPromotion != nil && st.LastPromotion.Name == p.Metadata.Name {
			return changed
		}
		st.LastPromotion = &v1.PromotionReference{Name: p.Metadata.Name, Freight: p.Spec.Freight, Phase: p.Status.Phase}
		if p.Status.Phase == v1.PhaseSucceeded && st.FreightSummary == "" {
			st.FreightSummary = p.Spec.Freight // received() refines it per origin
		}
		return true
	})
}

// updateStage applies change to a Stage's status with compare-and-set.
func (s *state) updateStage(ctx context.Context, project, stage string, change func(*v1.StageStatus) bool) error {
	key := bus.Key(project, stage)
	for {
		var st v1.StageStatus
		rev, err := s.Bus.GetLatestJSON(ctx, s.Bus.Stages, key, &st)
		if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		if !change(&st) {
			return nil
		}
		data, err := json.Marshal(&st)
		if err != nil {
			return err
		}
		if rev == 0 {
			_, err = s.Bus.Stages.Create(ctx, key, data)
		} else {
			_, err = s.Bus.Stages.Update(ctx, key, data, rev)
		}
		if err == nil {
			s.metrics.queues.set(project, stage, &st)
			return nil
		}
		if !isConflict(err) {
			return fmt.Errorf("update stage status %s: %w", key, err)
		}
	}
}

// setMetadata applies what a set-metadata step set to Stage and Freight status, with
// compare-and-set.
func (s *state) setMetadata(ctx context.Context, project string, updates []v1.MetadataUpdate) error {
	for _, u := range updates {
		set := func(m map[string]any) map[string]any {
			if m == nil {
				m = map[string]any{}
			}
			for k, v := range u.Values {
				m[k] = v
			}
			return m
		}
		var err error
		if u.Kind == v1.KindFreight {
			err = s.updateFreight(ctx, bus.Key(project, u.Name), func(f *v1.Freight) { f.Status.Metadata = set(f.Status.Metadata) })
		} else {
			err = s.updateStage(ctx, project, u.Name, func(st *v1.StageStatus) bool { st.Metadata = set(st.Metadata); return true })
		}
		if err != nil {
			return fmt.Errorf("set metadata of %s %q: %w", u.Kind, u.Name, err)
		}
	}
	return nil
}

// updateFreight applies change to a Freight with compare-and-set.
func (s *state) updateFreight(ctx context.Context, key string, change func(*v1.Freight)) error {
	for {
		var f v1.Freight
		rev, err := s.Bus.GetLatestJSON(ctx, s.Bus.Freight, key, &f)
		if err != nil {
			return err
		}
		change(&f)
		data, err := json.Marshal(&f)
		if err != nil {
			return err
		}
		if _, err = s.Bus.Freight.Update(ctx, key, data, rev); err == nil || !isConflict(err) {
			return err
		}
	}
}

// pause pauses or resumes a Stage, says so in an event, and on resume runs its queue.
func (s *state) pause(ctx context.Context, r *v1.StageRecord) error {
	at := time.Now().UTC()
	if r.At != nil {
		at = r.At.UTC()
	}
	err := s.updateStage(ctx, r.Project, r.Stage, func(st *v1.StageStatus) bool {
		if r.Op == v1.StageResume {
			changed := st.Paused != nil
			st.Paused = nil
			return changed
		}
		if st.Paused != nil {
			return false // the first pause is the one on record
		}
		st.Paused = &v1.StagePaused{By: r.Actor, Reason: r.Reason, At: &at}
		return true
	})
	if err != nil {
		return err
	}
	t := v1.TypeStagePaused
	if r.Op == v1.StageResume {
		t = v1.TypeStageResumed
	}
	s.Log.Info("stage "+r.Op+"d", "project", r.Project, "stage", r.Stage, "by", r.Actor)
	ev := v1.StageEvent{Project: r.Project, Stage: r.Stage, Actor: r.Actor, Message: r.Reason}
	id := r.Project + "/" + r.Stage + "/" + r.Op + "/" + at.Format(time.RFC3339Nano)
	if err := s.Bus.PublishEvent(ctx, r.Project, t, id, "stage/"+r.Stage, ev); err != nil {
		return err
	}
	return s.startNext(ctx, r.Project, r.Stage)
}

// holdChange is what a person's successful Promotion does to the auto-promotion hold of its
// origin in its Stage (RESOURCES.md §4.4).
type holdChange int

const (
	holdKeep  holdChange = iota // an auto-promotion: holds stay as they are
	holdSet                     // not the candidate: hold the origin
	holdLift                    // the candidate: lift the origin's hold
	holdClear                   // auto-promotion is off in the Stage: no holds
)

// holdFor says what p, a successful Promotion into Stage st, does to holds: when p's Freight
// is not the origin's auto-promotion candidate, auto-promotion of the origin stops there until
// someone promotes the candidate. Auto-promotions change no hold, and where auto-promotion is
// off there are none.
func (s *state) holdFor(ctx context.Context, p *v1.Promotion, st *v1.Stage) (holdChange, error) {
	if st == nil || p.Status.Freight == nil || p.Metadata.Annotations[v1.AnnotationCreateActor] == v1.ActorAutoPromotion {
		return holdKeep, nil
	}
	project := p.Metadata.Namespace
	cfg, err := store.ProjectConfig(ctx, s.Bus, project)
	if err != nil {
		return holdKeep, err
	}
	if cfg == nil || !pipeline.AutoPromotionEnabled(cfg, st) {
		return holdClear, nil
	}
	all, err := store.List[v1.Freight](ctx, s.Bus, s.Bus.Freight, bus.Key(project, ">"))
	if err != nil {
		return holdKeep, err
	}
	if c := pipeline.Candidate(st, p.Status.Freight.Origin, all, time.Now()); c != nil && c.Metadata.Name == p.Spec.Freight {
		return holdLift, nil
	}
	return holdSet, nil
}

// applyHold records change, made by p, on the Stage's holds.
func (s *state) applyHold(ctx context.Context, p *v1.Promotion, change holdChange) error {
	if change == holdKeep {
		return nil
	}
	origin := p.Status.Freight.Origin
	key := pipeline.HoldKey(origin)
	return s.updateStage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(ss *v1.StageStatus) bool {
		h, had := ss.AutoPromotionHolds[key]
		switch change {
		case holdClear:
			some := len(ss.AutoPromotionHolds) > 0
			ss.AutoPromotionHolds = nil
			return some
		case holdLift:
			delete(ss.AutoPromotionHolds, key)
			return had
		}
		if had && h.PromotionName == p.Metadata.Name {
			return false
		}
		if ss.AutoPromotionHolds == nil {
			ss.AutoPromotionHolds = map[string]v1.AutoPromotionHold{}
		}
		ss.AutoPromotionHolds[key] = v1.AutoPromotionHold{FreightName: p.Spec.Freight, Origin: origin,
			PromotionName: p.Metadata.Name, Actor: promotion.Actor(p), CreatedAt: p.Status.FinishedAt}
		return true
	})
}
