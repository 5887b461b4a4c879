package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// handleWake runs the waiting attempt of a step now. The attempt's job, held back until its
// poll time, is published again without that delay under another message ID; whichever copy
// an executor takes first runs it, and the other finds the attempt recorded and is dropped, so
// the attempt is recorded once.
func (s *scheduler) handleWake(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.WakeCommand
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return bus.Poison(bus.ReasonUndecodable, fmt.Errorf("decode wake command: %w", err))
	}
	project := check.Project(msg.Subject())
	if err := check.Invalid(check.SameProject(cmd.Project, project, true), names.Field("promotion", cmd.Promotion, names.Object),
		check.ID("id", cmd.ID)); err != nil {
		return err
	}
	var p v1.Promotion
	if _, err := s.Bus.GetJSON(ctx, s.Bus.Promotions, bus.Key(project, cmd.Promotion), &p); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return bus.Poison(bus.ReasonNotFound, fmt.Errorf("wake promotion %q, which does not exist in project %q", cmd.Promotion, project))
		}
		return err
	}
	now := time.Now()
	act, ok := promotion.Wake(&p, cmd.Step, now)
	if !ok {
		return nil // not waiting (any more): nothing to wake
	}
	prep := promotion.Prepare(s.expr, &p, act, promotion.PrepareOptions{Route: s.routeFor(ctx, project), Data: s.data(ctx, &p), Now: now, Orchestrated: Runs})
	if prep.Job == nil || prep.Result != nil || prep.Executor == promotion.Scheduler {
		return nil
	}
	prep.Job.NotBefore = nil
	s.Log.Info("waking a waiting step", "project", project, "promotion", cmd.Promotion, "step", prep.Job.Alias, "reason", cmd.Reason)
	return s.Bus.Publish(ctx, bus.StepSubject(prep.Executor, project), prep.Job.ID()+"/wake/"+cmd.ID, prep.Job)
}
