package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/scheduler/internal/autopromote"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// AutoActor is the actor recorded on the Promotions that auto-promotion creates.
const AutoActor = autopromote.Actor

// pipelineEvents are the events after which a Stage may have new Freight to auto-promote: a
// succeeded Promotion changes what its Stage holds, which MatchUpstream follows downstream;
// a Freight no longer rejected may be promoted again; a Promotion a closing window discarded
// is promoted again when the windows open (stage.AwaitOpen sets the timer).
var pipelineEvents = []string{v1.TypeFreightCreated, v1.TypeFreightVerified, v1.TypeFreightApproved, v1.TypePromotionSucceeded,
	v1.TypeFreightUnrejected, v1.TypePromotionDiscarded}

// handleFreightEvent re-evaluates auto-promotion for every Stage that takes Freight from the
// event's origin; a promotion.succeeded event, for the Stages downstream of its Stage.
// An event that does not decode, or names invalid names or another project than its
// subject, is poisoned.
func (s *scheduler) handleFreightEvent(ctx context.Context, msg jetstream.Msg) error {
	if verb := check.LastToken(msg.Subject()); verb == "succeeded" || verb == "discarded" { // dray.events.<project>.promotion.<verb>
		var data v1.PromotionEvent
		project, _, err := check.DecodeEvent(msg, &data)
		if err != nil {
			return err
		}
		if err := check.Invalid(check.SameProject(data.Project, project, false), names.Field("stage", data.Stage, names.Object),
			names.Field("freight", data.Freight, names.Object), names.Field("promotion", data.Promotion, names.Object)); err != nil {
			return err
		}
		if verb == "discarded" {
			return s.handleDiscarded(ctx, project, &data)
		}
		return s.handleSucceeded(ctx, msg, project, &data)
	}
	var data v1.FreightEvent
	project, _, err := check.DecodeEvent(msg, &data)
	if err != nil {
		return err
	}
	if err := check.Invalid(check.SameProject(data.Project, project, false), names.Field("freight", data.Freight, names.Object)); err != nil {
		return err
	}
	return s.auto.Origin(ctx, project, data.Origin)
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
			if recorded, err := s.auto.Recorded(ctx, project, data.Stage, data.Promotion); err != nil || !recorded {
				_ = msg.NakWithDelay(recordWait)
				return bus.ErrHandled
			}
		}
	}
	return s.auto.From(ctx, project, f.Origin, data.Stage)
}

// handleDiscarded re-evaluates auto-promotion of the discarded Promotion's origin: the Stage's
// windows closed, so it waits for them to open (stage.AwaitOpen).
func (s *scheduler) handleDiscarded(ctx context.Context, project string, data *v1.PromotionEvent) error {
	f, err := store.Freight(ctx, s.Bus, project, data.Freight)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.auto.Origin(ctx, project, f.Origin)
}

// How often, and how long apart, a promotion.succeeded event waits for the state service to
// record where its Freight is.
const (
	maxRecordWaits = 20
	recordWait     = 25 * time.Millisecond
)
