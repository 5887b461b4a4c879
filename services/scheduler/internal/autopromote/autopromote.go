// Package autopromote carries out the scheduler's auto-promotion
// (docs/resources.md#auto-promotion): for each Stage that requests an origin, it asks pkg/stage
// which Freight to promote, supersedes the queued auto-promotions it replaces, and asks the
// state service to create the Promotion; it sets timers for soaks and rate limits to end.
package autopromote

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/timer"
)

// Actor is the actor recorded on the Promotions that auto-promotion creates.
const Actor = v1.ActorAutoPromotion

// Promoter evaluates auto-promotion. Bus and Log are set by the scheduler, which runs
// RunTimers for as long as it runs.
type Promoter struct {
	Bus *bus.Bus
	Log *slog.Logger

	timers timer.Set // re-evaluations when a soak or a rate limit ends
}

// RunTimers runs the Promoter's timers until ctx ends.
func (a *Promoter) RunTimers(ctx context.Context) { a.timers.Run(ctx) }

// Recorded reports whether the Stage's history holds Promotion name.
func (a *Promoter) Recorded(ctx context.Context, project, stage, name string) (bool, error) {
	st, err := store.StageStatus(ctx, a.Bus, project, stage)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(st.FreightHistory, func(h v1.StageHistoryEntry) bool { return h.Promotion == name }), nil
}

// Origin promotes, in every auto-promoting Stage that requests origin, the newest Freight
// available to it (docs/resources.md#auto-promotion). It creates nothing when that Freight is already in the
// Stage, on its way there, or failed there last time (a user must promote it by hand then), and
// it aborts the Stage's queued auto-promotions of older Freight, which the new one supersedes.
// A Promotion it creates has a name derived from the Stage, the Freight and the Promotion that
// delivered the Stage's current Freight of the origin, so evaluating twice creates it once.
func (a *Promoter) Origin(ctx context.Context, project string, origin v1.FreightOrigin) error {
	return a.From(ctx, project, origin, "")
}

// From is Origin for the Stages that take origin's Freight from the upstream
// Stage, or for every Stage when upstream is empty.
func (a *Promoter) From(ctx context.Context, project string, origin v1.FreightOrigin, upstream string) error {
	cfg, err := store.ProjectConfig(ctx, a.Bus, project)
	if err != nil || cfg == nil {
		return err // no ProjectConfig: auto-promotion is off
	}
	stages, err := store.List[v1.Stage](ctx, a.Bus, a.Bus.Resources, bus.ResourceKey(project, v1.KindStage, ">"))
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
			if err := a.clearHolds(ctx, project, st); err != nil {
				return err
			}
			continue
		}
		if freight == nil {
			if freight, err = store.List[v1.Freight](ctx, a.Bus, a.Bus.Freight, bus.Key(project, ">")); err != nil {
				return err
			}
		}
		if st.Status, err = store.StageStatus(ctx, a.Bus, project, st.Metadata.Name); err != nil {
			return err
		}
		auto := stage.AutoPromotion(st, origin, freight, time.Now())
		if auto.HeldBy != "" {
			a.Log.Debug("auto-promotion held", "project", project, "stage", st.Metadata.Name, "by", auto.HeldBy)
			continue
		}
		a.wakeForSoak(project, st.Metadata.Name, origin, auto.WakeAt)
		c := auto.Candidate
		if c == nil {
			continue
		}
		interval, err := pipeline.AutoPromotionMinInterval(cfg, st)
		if err != nil {
			a.Log.Warn("auto-promotion not possible", "project", project, "stage", st.Metadata.Name, "err", err)
			continue
		}
		if until := stage.RateLimited(&st.Status, interval, time.Now()); !until.IsZero() {
			// The newest candidate then is promoted: a timer looks again, no event will.
			a.Log.Debug("auto-promotion rate-limited", "project", project, "stage", st.Metadata.Name, "until", until)
			a.wakeForSoak(project, st.Metadata.Name, origin, until)
			continue
		}
		wait, until, err := stage.AwaitOpen(&st.Status, c.Metadata.Name, time.Now(), func() ([]v1.PromotionWindow, error) {
			return store.Windows(ctx, a.Bus, project, st)
		})
		if err != nil {
			return err
		}
		if wait { // a closing window discarded it: promoted again when they open
			a.Log.Debug("auto-promotion waits for the windows to open", "project", project, "stage", st.Metadata.Name, "until", until)
			a.wakeForSoak(project, st.Metadata.Name, origin, until)
			continue
		}
		if err := a.supersede(ctx, project, &st.Status, c.Metadata.Name); err != nil {
			return err
		}
		cmd := &v1.PromoteCommand{Project: project, Stage: st.Metadata.Name, Freight: c.Metadata.Name, Actor: Actor, ID: auto.ID}
		p, err := promote.Build(ctx, a.Bus, cmd)
		if promote.IsRejected(err) {
			a.Log.Warn("auto-promotion not possible", "project", project, "stage", st.Metadata.Name, "freight", c.Metadata.Name, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		a.Log.Info("auto-promoting", "project", project, "stage", st.Metadata.Name, "freight", c.Metadata.Name, "promotion", p.Metadata.Name)
		rec := &v1.PromotionRecord{Op: v1.RecordCreate, Project: project, Name: p.Metadata.Name, Promotion: p}
		if err := a.Bus.Publish(ctx, bus.PromotionRecordSubject(project), p.Metadata.Name+"/create", rec); err != nil {
			return err
		}
	}
	return nil
}

// clearHolds drops the auto-promotion holds of Stage st, where auto-promotion is off
// (docs/resources.md#auto-promotion-holds: disabling clears them).
func (a *Promoter) clearHolds(ctx context.Context, project string, st *v1.Stage) error {
	status, err := store.StageStatus(ctx, a.Bus, project, st.Metadata.Name)
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
	return a.Bus.Publish(ctx, bus.StageRecordSubject(project), project+"/"+st.Metadata.Name+"/clear-holds/"+strings.Join(by, ","), rec)
}

// supersede ends the queued auto-promotions of other Freight in a Stage Superseded: a newer
// Freight replaces them, and they never run (one that started meanwhile runs on). Promotions
// people asked for stay queued.
func (a *Promoter) supersede(ctx context.Context, project string, st *v1.StageStatus, freight string) error {
	for _, name := range stage.Superseded(st, freight) {
		p, err := store.Promotion(ctx, a.Bus, project, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if p.Metadata.Annotations[v1.AnnotationCreateActor] != Actor || p.Status.Finished() {
			continue
		}
		rec := &v1.PromotionRecord{Op: v1.RecordSupersede, Project: project, Name: name,
			Message: "superseded by the auto-promotion of Freight " + freight}
		if err := a.Bus.Publish(ctx, bus.PromotionRecordSubject(project), name+"/supersede", rec); err != nil {
			return err
		}
	}
	return nil
}

// wakeForSoak evaluates auto-promotion of origin again at t, when a Freight has soaked long
// enough upstream of Stage name (stage.Auto.WakeAt), the Stage's autoPromotionMinInterval
// has passed, or its promotion windows open after discarding its auto-promotion
// (stage.AwaitOpen): time passing makes a Promotion possible, and no event says so. A zero t sets nothing. Timers are not durable; the scheduler evaluates every
// project once at start (All).
func (a *Promoter) wakeForSoak(project, name string, origin v1.FreightOrigin, t time.Time) {
	if t.IsZero() {
		return
	}
	key := project + "/" + name + "/" + origin.Kind + "/" + origin.Name
	a.timers.At(key, t.Add(time.Second), func(ctx context.Context) {
		if err := a.Origin(ctx, project, origin); err != nil && ctx.Err() == nil {
			a.Log.Error("auto-promotion after a soak", "project", project, "stage", name, "err", err)
		}
	})
}

// All evaluates auto-promotion for every origin every Stage requests, in every
// project: at start, a soak may have ended or an event been missed while the scheduler was
// down.
func (a *Promoter) All(ctx context.Context) error {
	stages, err := store.List[v1.Stage](ctx, a.Bus, a.Bus.Resources, "*."+v1.KindStage+".>")
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
			if err := a.Origin(ctx, st.Metadata.Namespace, r.Origin); err != nil {
				return err
			}
		}
	}
	return nil
}
