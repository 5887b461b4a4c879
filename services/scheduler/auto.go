package scheduler

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
)

// AutoActor is the actor recorded on the Promotions that auto-promotion creates.
const AutoActor = v1.ActorAutoPromotion

// pipelineEvents are the events after which a Stage may have new Freight to auto-promote: a
// succeeded Promotion changes what its Stage holds, which MatchUpstream follows downstream;
// a Freight no longer rejected may be promoted again.
var pipelineEvents = []string{v1.TypeFreightCreated, v1.TypeFreightVerified, v1.TypeFreightApproved, v1.TypePromotionSucceeded,
	v1.TypeFreightUnrejected}

// handleFreightEvent re-evaluates auto-promotion for every Stage that takes Freight from the
// event's origin; a promotion.succeeded event, for the Stages downstream of its Stage.
// An event that does not decode, or names invalid names or another project than its
// subject, is poisoned.
func (s *scheduler) handleFreightEvent(ctx context.Context, msg jetstream.Msg) error {
	if verbOf(msg.Subject()) == "succeeded" { // dray.events.<project>.promotion.succeeded
		var data v1.PromotionEvent
		project, _, err := decodeEvent(msg, &data)
		if err != nil {
			return err
		}
		if err := invalid(sameProject(data.Project, project, false), names.Field("stage", data.Stage, names.Object),
			names.Field("freight", data.Freight, names.Object), names.Field("promotion", data.Promotion, names.Object)); err != nil {
			return err
		}
		return s.handleSucceeded(ctx, msg, project, &data)
	}
	var data v1.FreightEvent
	project, _, err := decodeEvent(msg, &data)
	if err != nil {
		return err
	}
	if err := invalid(sameProject(data.Project, project, false), names.Field("freight", data.Freight, names.Object)); err != nil {
		return err
	}
	return s.autoPromote(ctx, project, data.Origin)
}

// handleSucceeded re-evaluates auto-promotion for the Stages downstream of the Stage a
// Promotion succeeded in: what that Stage holds changed (MatchUpstream follows it), while the
// Stage itself keeps what a person promoted there.
func (s *scheduler) handleSucceeded(ctx context.Context, msg jetstream.Msg, project string, data *v1.PromotionEvent) error {
	if cfg, err := store.ProjectConfig(ctx, s.Bus, project); err != nil || cfg == nil {
		return err // no ProjectConfig: auto-promotion is off
	}
	f, err := store.Freight(ctx, s.Bus, project, data.Freight)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// The state service records where the Freight now is just after announcing the
	// Promotion's end; what the downstream Stages see must include it. Until then the event
	// is looked at again shortly (a few times: the Freight may have moved on already).
	if _, in := f.Status.CurrentlyIn[data.Stage]; !in {
		if md, err := msg.Metadata(); err == nil && md.NumDelivered < maxRecordWaits {
			if recorded, err := s.recorded(ctx, project, data.Stage, data.Promotion); err != nil || !recorded {
				_ = msg.NakWithDelay(recordWait)
				return bus.ErrHandled
			}
		}
	}
	return s.autoPromoteFrom(ctx, project, f.Origin, data.Stage)
}

// How often, and how long apart, a promotion.succeeded event waits for the state service to
// record where its Freight is.
const (
	maxRecordWaits = 20
	recordWait     = 25 * time.Millisecond
)

// recorded reports whether the Stage's history holds Promotion name.
func (s *scheduler) recorded(ctx context.Context, project, stage, name string) (bool, error) {
	st, err := s.stageStatus(ctx, project, stage)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(st.FreightHistory, func(h v1.StageHistoryEntry) bool { return h.Promotion == name }), nil
}

// autoPromote promotes, in every auto-promoting Stage that requests origin, the newest Freight
// available to it (docs/resources.md#auto-promotion). It creates nothing when that Freight is already in the
// Stage, on its way there, or failed there last time (a user must promote it by hand then), and
// it aborts the Stage's queued auto-promotions of older Freight, which the new one supersedes.
// A Promotion it creates has a name derived from the Stage, the Freight and the Promotion that
// delivered the Stage's current Freight of the origin, so evaluating twice creates it once.
func (s *scheduler) autoPromote(ctx context.Context, project string, origin v1.FreightOrigin) error {
	return s.autoPromoteFrom(ctx, project, origin, "")
}

// autoPromoteFrom is autoPromote for the Stages that take origin's Freight from the upstream
// Stage, or for every Stage when upstream is empty.
func (s *scheduler) autoPromoteFrom(ctx context.Context, project string, origin v1.FreightOrigin, upstream string) error {
	cfg, err := store.ProjectConfig(ctx, s.Bus, project)
	if err != nil || cfg == nil {
		return err // no ProjectConfig: auto-promotion is off
	}
	stages, err := store.List[v1.Stage](ctx, s.Bus, s.Bus.Resources, bus.ResourceKey(project, v1.KindStage, ">"))
	if err != nil {
		return err
	}
	var freight []v1.Freight
	for i := range stages {
		st := &stages[i]
		r := pipeline.Request(st, origin)
		if r == nil || !pipeline.Promotable(st) || upstream != "" && !slices.Contains(r.Sources.Stages, upstream) {
			continue
		}
		if !pipeline.AutoPromotionEnabled(cfg, st) {
			if err := s.clearHolds(ctx, project, st); err != nil {
				return err
			}
			continue
		}
		if freight == nil {
			if freight, err = store.List[v1.Freight](ctx, s.Bus, s.Bus.Freight, bus.Key(project, ">")); err != nil {
				return err
			}
		}
		if st.Status, err = s.stageStatus(ctx, project, st.Metadata.Name); err != nil {
			return err
		}
		auto := stage.AutoPromotion(st, origin, freight, time.Now())
		if auto.HeldBy != "" {
			s.Log.Debug("auto-promotion held", "project", project, "stage", st.Metadata.Name, "by", auto.HeldBy)
			continue
		}
		s.wakeForSoak(project, st.Metadata.Name, origin, auto.WakeAt)
		c := auto.Candidate
		if c == nil {
			continue
		}
		interval, err := pipeline.AutoPromotionMinInterval(cfg, st)
		if err != nil {
			s.Log.Warn("auto-promotion not possible", "project", project, "stage", st.Metadata.Name, "err", err)
			continue
		}
		if until := stage.RateLimited(&st.Status, interval, time.Now()); !until.IsZero() {
			// The newest candidate then is promoted: a timer looks again, no event will.
			s.Log.Debug("auto-promotion rate-limited", "project", project, "stage", st.Metadata.Name, "until", until)
			s.wakeForSoak(project, st.Metadata.Name, origin, until)
			continue
		}
		if err := s.supersede(ctx, project, &st.Status, c.Metadata.Name); err != nil {
			return err
		}
		cmd := &v1.PromoteCommand{Project: project, Stage: st.Metadata.Name, Freight: c.Metadata.Name, Actor: AutoActor, ID: auto.ID}
		p, err := promote.Build(ctx, s.Bus, cmd)
		if promote.IsRejected(err) {
			s.Log.Warn("auto-promotion not possible", "project", project, "stage", st.Metadata.Name, "freight", c.Metadata.Name, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		s.Log.Info("auto-promoting", "project", project, "stage", st.Metadata.Name, "freight", c.Metadata.Name, "promotion", p.Metadata.Name)
		rec := &v1.PromotionRecord{Op: v1.RecordCreate, Project: project, Name: p.Metadata.Name, Promotion: p}
		if err := s.Bus.Publish(ctx, bus.PromotionRecordSubject(project), p.Metadata.Name+"/create", rec); err != nil {
			return err
		}
	}
	return nil
}

// clearHolds drops the auto-promotion holds of Stage st, where auto-promotion is off
// (docs/resources.md#auto-promotion-holds: disabling clears them).
func (s *scheduler) clearHolds(ctx context.Context, project string, st *v1.Stage) error {
	status, err := s.stageStatus(ctx, project, st.Metadata.Name)
	if err != nil {
		return err
	}
	if len(status.AutoPromotionHolds) == 0 {
		return nil
	}
	var by []string
	for _, h := range status.AutoPromotionHolds {
		by = append(by, h.PromotionName)
	}
	slices.Sort(by)
	rec := &v1.StageRecord{Op: v1.StageClearHolds, Project: project, Stage: st.Metadata.Name}
	return s.Bus.Publish(ctx, bus.StageRecordSubject(project), project+"/"+st.Metadata.Name+"/clear-holds/"+strings.Join(by, ","), rec)
}

// supersede ends the queued auto-promotions of other Freight in a Stage Superseded: a newer
// Freight replaces them, and they never run (one that started meanwhile runs on). Promotions
// people asked for stay queued.
func (s *scheduler) supersede(ctx context.Context, project string, st *v1.StageStatus, freight string) error {
	for _, name := range stage.Superseded(st, freight) {
		p, err := store.Promotion(ctx, s.Bus, project, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if p.Metadata.Annotations[v1.AnnotationCreateActor] != AutoActor || p.Status.Finished() {
			continue
		}
		rec := &v1.PromotionRecord{Op: v1.RecordSupersede, Project: project, Name: name,
			Message: "superseded by the auto-promotion of Freight " + freight}
		if err := s.Bus.Publish(ctx, bus.PromotionRecordSubject(project), name+"/supersede", rec); err != nil {
			return err
		}
	}
	return nil
}

// wakeForSoak evaluates auto-promotion of origin again at t, when a Freight has soaked long
// enough upstream of Stage name (stage.Auto.WakeAt), or the Stage's autoPromotionMinInterval
// has passed: time passing makes a Promotion possible, and no event says so. A zero t sets nothing. Timers are not durable; the scheduler evaluates every
// project once at start (autoPromoteAll).
func (s *scheduler) wakeForSoak(project, name string, origin v1.FreightOrigin, t time.Time) {
	if t.IsZero() {
		return
	}
	key := project + "/" + name + "/" + origin.Kind + "/" + origin.Name
	s.timers.At(key, t.Add(time.Second), func(ctx context.Context) {
		if err := s.autoPromote(ctx, project, origin); err != nil && ctx.Err() == nil {
			s.Log.Error("auto-promotion after a soak", "project", project, "stage", name, "err", err)
		}
	})
}

// autoPromoteAll evaluates auto-promotion for every origin every Stage requests, in every
// project: at start, a soak may have ended or an event been missed while the scheduler was
// down.
func (s *scheduler) autoPromoteAll(ctx context.Context) error {
	stages, err := store.List[v1.Stage](ctx, s.Bus, s.Bus.Resources, "*."+v1.KindStage+".>")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, st := range stages {
		for _, r := range st.Spec.RequestedFreight {
			key := st.Metadata.Namespace + "/" + r.Origin.Kind + "/" + r.Origin.Name
			if seen[key] {
				continue
			}
			seen[key] = true
			if err := s.autoPromote(ctx, st.Metadata.Namespace, r.Origin); err != nil {
				return err
			}
		}
	}
	return nil
}
