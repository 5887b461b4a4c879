package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/store"
)

// AutoActor is the actor recorded on the Promotions that auto-promotion creates.
const AutoActor = v1.ActorAutoPromotion

// pipelineEvents are the events after which a Stage may have new Freight to auto-promote.
var pipelineEvents = []string{v1.TypeFreightCreated, v1.TypeFreightVerified, v1.TypeFreightApproved}

// handleFreightEvent re-evaluates auto-promotion for every Stage that takes Freight from the
// event's origin.
func (s *scheduler) handleFreightEvent(ctx context.Context, msg jetstream.Msg) error {
	var e v1.Event
	var data v1.FreightEvent
	if err := json.Unmarshal(msg.Data(), &e); err != nil || json.Unmarshal(e.Data, &data) != nil || data.Freight == "" {
		s.Log.Error("ignoring freight event without a freight", "subject", msg.Subject())
		return nil
	}
	return s.autoPromote(ctx, projectOf(msg.Subject()), data.Origin)
}

// autoPromote promotes, in every auto-promoting Stage that requests origin, the newest Freight
// available to it (RESOURCES.md §4.3). It creates nothing when that Freight is already in the
// Stage, on its way there, or failed there last time (a user must promote it by hand then), and
// it aborts the Stage's queued auto-promotions of older Freight, which the new one supersedes.
// A Promotion it creates has a name derived from the Stage and Freight alone, so evaluating
// twice creates it once.
func (s *scheduler) autoPromote(ctx context.Context, project string, origin v1.FreightOrigin) error {
	var cfg v1.ProjectConfig
	if _, err := s.Bus.GetJSON(ctx, s.Bus.Resources, bus.ResourceKey(project, v1.KindProjectConfig, project), &cfg); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil // no ProjectConfig: auto-promotion is off
		}
		return err
	}
	stages, err := store.List[v1.Stage](ctx, s.Bus, s.Bus.Resources, bus.ResourceKey(project, v1.KindStage, ">"))
	if err != nil {
		return err
	}
	var freight []v1.Freight
	for i := range stages {
		st := &stages[i]
		if !pipeline.AutoPromotionEnabled(&cfg, st) || pipeline.Request(st, origin) == nil || !pipeline.Promotable(st) {
			continue
		}
		if freight == nil {
			if freight, err = store.List[v1.Freight](ctx, s.Bus, s.Bus.Freight, bus.Key(project, ">")); err != nil {
				return err
			}
		}
		if _, err := s.Bus.GetJSON(ctx, s.Bus.Stages, bus.Key(project, st.Metadata.Name), &st.Status); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		c := pipeline.Candidate(st, origin, freight, time.Now())
		if c == nil || !wanted(&st.Status, origin, c.Metadata.Name) {
			continue
		}
		if err := s.supersede(ctx, project, &st.Status, c.Metadata.Name); err != nil {
			return err
		}
		cmd := &v1.PromoteCommand{Project: project, Stage: st.Metadata.Name, Freight: c.Metadata.Name,
			Actor: AutoActor, ID: "auto/" + st.Metadata.Name + "/" + c.Metadata.Name}
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

// wanted reports whether auto-promotion should promote freight, of origin, into a Stage with
// status st: not when it is the Stage's Freight of that origin, running or queued there, or
// when its last Promotion there failed.
func wanted(st *v1.StageStatus, origin v1.FreightOrigin, freight string) bool {
	for _, h := range st.FreightHistory {
		if h.Origin.Name != "" && !pipeline.SameOrigin(h.Origin, origin) {
			continue // another origin's slot
		}
		if h.Freight == freight {
			return false
		}
		break
	}
	if st.CurrentPromotion != nil && st.CurrentPromotion.Freight == freight {
		return false
	}
	if slices.ContainsFunc(st.Queued, func(r v1.PromotionReference) bool { return r.Freight == freight }) {
		return false
	}
	return st.LastPromotion == nil || st.LastPromotion.Freight != freight || st.LastPromotion.Phase == v1.PhaseSucceeded
}

// supersede aborts the queued auto-promotions of other Freight in a Stage: a newer Freight
// replaces them. Promotions people asked for stay queued.
func (s *scheduler) supersede(ctx context.Context, project string, st *v1.StageStatus, freight string) error {
	for _, q := range st.Queued {
		if q.Freight == freight {
			continue
		}
		p, err := store.Promotion(ctx, s.Bus, project, q.Name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if p.Metadata.Annotations[v1.AnnotationCreateActor] != AutoActor || p.Status.Finished() {
			continue
		}
		rec := &v1.PromotionRecord{Op: v1.RecordAbort, Project: project, Name: q.Name, Actor: AutoActor}
		if err := s.Bus.Publish(ctx, bus.PromotionRecordSubject(project), q.Name+"/abort", rec); err != nil {
			return err
		}
	}
	return nil
}
