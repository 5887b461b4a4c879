package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// handleEvent reconciles the Promotion an event is about.
// An event that does not decode, names no valid Promotion or another project than its
// subject, or a Promotion that does not exist, is poisoned.
func (s *scheduler) handleEvent(ctx context.Context, msg jetstream.Msg) error {
	var data v1.PromotionEvent
	project, _, err := check.DecodeEvent(msg, &data)
	if err != nil {
		return err
	}
	if err := check.Invalid(check.SameProject(data.Project, project, false), names.Field("promotion", data.Promotion, names.Object)); err != nil {
		return err
	}
	return s.reconcile(ctx, data.Project, data.Promotion)
}

// reconcile does what the recorded Promotion needs next. It reads the Promotion from the
// bucket's leader: a replica that lags behind the write this event announces would show the
// step still running, and the event would be acked with nothing done — the Promotion left
// Running for good (pkg/bus/README.md, "Reading your own writes").
func (s *scheduler) reconcile(ctx context.Context, project, name string) error {
	var p v1.Promotion
	if _, err := s.Bus.GetLatestJSON(ctx, s.Bus.Promotions, bus.Key(project, name), &p); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return bus.Poison(bus.ReasonNotFound, fmt.Errorf("event about promotion %q, which does not exist in project %q", name, project))
		}
		return err
	}
	act := promotion.Next(&p, time.Now())
	switch act.Kind {
	case promotion.RunStep:
		return s.dispatch(ctx, &p, act)
	case promotion.Finish:
		rec := &v1.PromotionRecord{Op: v1.RecordFinish, Project: project, Name: name, Phase: act.Phase, Message: act.Message}
		return s.Bus.Publish(ctx, bus.PromotionRecordSubject(project), name+"/finish", rec)
	}
	return nil
}

// dispatch renders the step and publishes its job — or, when its outcome was decided without
// an executor (skipped, a bad expression, an orchestrator step), its result.
func (s *scheduler) dispatch(ctx context.Context, p *v1.Promotion, act promotion.Action) error {
	ctx, span := s.traceDispatch(ctx, p, act)
	defer span.End()
	prep := promotion.Prepare(s.expr, p, act, promotion.PrepareOptions{Route: s.routeFor(ctx, p.Metadata.Namespace), Data: s.data(ctx, p), Now: time.Now(), Orchestrated: Runs})
	if r := prep.Result; r != nil {
		return s.Bus.Publish(ctx, bus.StepResultSubject(r.Project), r.ID(), r)
	}
	if prep.Executor == promotion.Scheduler {
		return s.runOwn(ctx, prep.Job, prep.Secrets)
	}
	// A config that read secrets travels sealed for the executor: no subscriber to
	// dray.steps.> sees a secret value (pkg/secret).
	if err := s.Secrets.SealJob(prep.Job, prep.Secrets); err != nil {
		return err
	}
	return s.Bus.Publish(ctx, bus.StepSubject(prep.Executor, prep.Job.Project), prep.Job.ID(), prep.Job)
}

// routeFor is s.route, with the CustomPromotionStep kinds that project sees (its own or the
// cluster-wide ones in dray-resources) sent to the container executor. When the bucket
// cannot be read, the kind goes to the container executor too, which reads it again and
// reports a missing kind itself.
func (s *scheduler) routeFor(ctx context.Context, project string) func(string) (string, bool) {
	return func(uses string) (string, bool) {
		if e, ok := s.route(uses); ok {
			return e, true
		}
		if cs, err := store.CustomStep(ctx, s.Bus, project, uses); cs != nil || err != nil {
			return ContainerExecutor, true
		}
		return "", false
	}
}
