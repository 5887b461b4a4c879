package state

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/timer"
	"github.com/drayhq/dray/pkg/workspace"
	"github.com/drayhq/dray/services/state/internal/announce"
	"github.com/drayhq/dray/services/state/internal/arrival"
	"github.com/drayhq/dray/services/state/internal/check"
	"github.com/drayhq/dray/services/state/internal/deletion"
	"github.com/drayhq/dray/services/state/internal/discard"
	"github.com/drayhq/dray/services/state/internal/metrics"
	"github.com/drayhq/dray/services/state/internal/queue"
	"github.com/drayhq/dray/services/state/internal/records"
	"github.com/drayhq/dray/services/state/internal/retention"
	"github.com/drayhq/dray/services/state/internal/rollback"
	"github.com/drayhq/dray/services/state/internal/verdict"
	"github.com/drayhq/dray/services/state/internal/verification"
	"github.com/drayhq/dray/services/state/internal/windowwatch"
)

// Options tune the state service.
type Options struct {
	// KeepWorkspaces keeps a finished promotion's workspace revisions for debugging.
	KeepWorkspaces bool
	// KeepPromotions is how many finished Promotions each Stage keeps in dray-promotions;
	// when one finishes, the oldest finished ones past it are deleted (never one that has not
	// finished or that the Stage's status names). 0 means DefaultKeepPromotions (20, as
	// Kargo); negative keeps every one. Default $DRAY_KEEP_PROMOTIONS.
	KeepPromotions int
}

// BindFlags registers the options as flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.KeepWorkspaces, "keep-workspaces", false, "keep finished promotions' workspaces for debugging")
	keep := DefaultKeepPromotions
	if n, err := strconv.Atoi(os.Getenv("DRAY_KEEP_PROMOTIONS")); err == nil {
		keep = n
	}
	fs.IntVar(&o.KeepPromotions, "keep-promotions", keep,
		"finished Promotions kept per Stage; older ones are deleted as new ones finish (Kargo's garbage collector keeps 20; negative: keep all)")
}

// Validate reports every problem at once.
func (o *Options) Validate() error { return nil }

type state struct {
	service.Deps
	opts    Options
	metrics *metrics.Metrics

	records  *records.Writer
	roller   *rollback.Roller
	verdicts *verdict.Recorder
	trimmer  *retention.Trimmer
	verifier *verification.Verifier
	queue    *queue.Queue
	discards *discard.Discarder
	deleter  *deletion.Deleter
	arrivals *arrival.Recorder
	timers   timer.Set // when a window opens or closes, per Stage
}

// Run records results until ctx ends.
func Run(ctx context.Context, opts Options, d service.Deps) error {
	if opts.KeepPromotions == 0 {
		opts.KeepPromotions = DefaultKeepPromotions
	}
	m, err := metrics.New(d.Metrics)
	if err != nil {
		return err
	}
	s := &state{Deps: d, opts: opts, metrics: m, records: records.New(d.Bus, d.Log, m.Queue)}
	s.roller = &rollback.Roller{Bus: d.Bus, Log: d.Log, Stage: s.updateStage, Create: s.create}
	s.verdicts = &verdict.Recorder{Bus: d.Bus, Log: d.Log, Records: s.records}
	s.verifier = &verification.Verifier{Bus: d.Bus, Records: s.records, Create: s.create}
	s.trimmer = &retention.Trimmer{Bus: d.Bus, Log: d.Log, Records: s.records, Keep: opts.KeepPromotions}
	s.queue = &queue.Queue{Bus: d.Bus, Log: d.Log, Records: s.records, Metrics: m, Timers: &s.timers}
	s.discards = &discard.Discarder{Bus: d.Bus, Log: d.Log, Records: s.records, Timers: &s.timers}
	s.deleter = &deletion.Deleter{Bus: d.Bus, Log: d.Log, Records: s.records, Metrics: m}
	s.arrivals = &arrival.Recorder{Bus: d.Bus, Records: s.records}
	timers, stopTimers := context.WithCancel(ctx)
	defer stopTimers()
	go s.timers.Run(timers)
	watching, err := windowwatch.Watch(timers, d.Bus, d.Log, s.rearm) // applied windows move the queues' timers
	if err != nil {
		return err
	}
	defer func() { stopTimers(); watching() }()
	if err := s.resumeQueues(ctx); err != nil {
		d.Log.Warn("queues not resumed at start; they run on their next record", "err", err)
	}
	d.Log.Info("state service ready")
	return d.Bus.Consume(ctx, d.Log, bus.ConsumerOptions{
		Stream: bus.StreamResults, Durable: "state", Filters: []string{"dray.results.>"}, Metrics: d.Metrics,
	}, s.handle)
}

// handle records one result or record. One that does not decode, fails its checks (names,
// project) or is about a Promotion that does not exist is poisoned: it can never be
// recorded, and retrying it would block the queue.
func (s *state) handle(ctx context.Context, msg jetstream.Msg) error {
	project, err := check.SubjectProject(msg.Subject())
	if err != nil {
		return invalid(err)
	}
	kind := msg.Subject()[strings.LastIndexByte(msg.Subject(), '.')+1:]
	switch kind {
	case "step":
		var r v1.StepResult
		if err := decode(msg, &r); err != nil {
			return err
		}
		if err := check.StepResult(&r, project); err != nil {
			return invalid(err)
		}
		return s.recordStep(ctx, &r)
	case "promotion":
		var r v1.PromotionRecord
		if err := decode(msg, &r); err != nil {
			return err
		}
		if err := check.PromotionRecord(&r, project); err != nil {
			return invalid(err)
		}
		if r.Op == v1.RecordCreate {
			// A Promotion is only ever built for a Stage that exists.
			if _, err := store.Stage(ctx, s.Bus, project, r.Promotion.Spec.Stage); errors.Is(err, store.ErrNotFound) {
				return bus.Poison(bus.ReasonNotFound, fmt.Errorf("create record for promotion %q: %w", r.Name, err))
			} else if err != nil {
				return err
			}
			return s.create(ctx, &r)
		}
		if r.Op == v1.RecordInput {
			return s.input(ctx, &r)
		}
		return s.finish(ctx, &r) // finish, abort or supersede
	case "stage":
		var r v1.StageRecord
		if err := decode(msg, &r); err != nil {
			return err
		}
		if err := check.StageRecord(&r, project); err != nil {
			return invalid(err)
		}
		switch r.Op {
		case v1.StagePause, v1.StageResume:
			return s.pause(ctx, &r)
		case v1.StageHealthy:
			return s.verifier.Healthy(ctx, &r)
		case v1.StageClearHolds:
			return s.updateStage(ctx, r.Project, r.Stage, stage.ClearHolds)
		case v1.StageDelete:
			return s.deleter.Stage(ctx, &r)
		}
		return invalid(fmt.Errorf("op: %s is not a stage record op", check.Short(r.Op)))
	case "freight":
		var r v1.FreightRecord
		if err := decode(msg, &r); err != nil {
			return err
		}
		if err := check.FreightRecord(&r, project); err != nil {
			return invalid(err)
		}
		if r.Op != v1.FreightApprove {
			return s.verdicts.Reject(ctx, &r)
		}
		return s.verdicts.Approve(ctx, &r)
	}
	return invalid(fmt.Errorf("subject %s: no record kind %s", msg.Subject(), check.Short(kind)))
}

// invalid poisons a record that failed a check.
func invalid(err error) error { return bus.Poison(bus.ReasonInvalid, err) }

// decode decodes msg's payload into v, poisoning a payload that does not decode.
func decode(msg jetstream.Msg, v any) error {
	if err := json.Unmarshal(msg.Data(), v); err != nil {
		return bus.Poison(bus.ReasonUndecodable, fmt.Errorf("decode %s: %w", msg.Subject(), err))
	}
	return nil
}

// update applies change to the Promotion stored under key with compare-and-set
// (records.Writer.Promotion).
func (s *state) update(ctx context.Context, key string, change func(p *v1.Promotion) bool) (*v1.Promotion, bool, error) {
	return s.records.Promotion(ctx, key, change)
}

// create stores a new Promotion, Pending, and announces it; it starts at once when its Stage
// runs no other Promotion, else it waits in the Stage's queue (docs/resources.md#the-queue). A Promotion
// that exists already is left alone; its events are re-sent with the same IDs, in case a crash
// came between.
func (s *state) create(ctx context.Context, r *v1.PromotionRecord) error {
	p := r.Promotion
	if p == nil {
		return fmt.Errorf("create record for %s has no promotion", r.Name)
	}
	key := bus.Key(r.Project, p.Metadata.Name)
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	err = s.Bus.Retry(ctx, func(ctx context.Context) error {
		_, err := s.Bus.Promotions.Create(ctx, key, data)
		return err
	})
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("create promotion %s: %w", key, err)
	}
	if _, err := s.Bus.GetLatestJSON(ctx, s.Bus.Promotions, key, p); err != nil {
		return err
	}
	log := s.Log.With("project", r.Project, "stage", p.Spec.Stage, "promotion", p.Metadata.Name)
	log.Info("promotion created", "freight", p.Spec.Freight)
	if err := s.publish(ctx, p, v1.TypePromotionCreated, p.Metadata.Name+"/created", nil); err != nil {
		return err
	}
	if p.Status.Finished() { // aborted while queued, before a crash
		return nil
	}
	if err := s.queue.Enqueue(ctx, p, r.Front); err != nil {
		return err
	}
	// Its Stage may have been deleted since the check in handle, and its deletion may have
	// listed the Stage's Promotions before this one was stored: it goes the same way.
	if ok, err := records.StageExists(ctx, s.Bus, r.Project, p.Spec.Stage); err != nil || !ok {
		if err == nil {
			err = s.deleter.Promotion(ctx, &v1.StageRecord{Project: r.Project, Stage: p.Spec.Stage}, key)
		}
		return err
	}
	if err := s.queue.StartNext(ctx, r.Project, p.Spec.Stage); err != nil {
		return err
	}
	return s.discards.Arm(ctx, r.Project, p.Spec.Stage) // queued ones go when a window closes
}

// recordStep applies one step result and announces it.
func (s *state) recordStep(ctx context.Context, r *v1.StepResult) error {
	key := bus.Key(r.Project, r.Promotion)
	p, changed, err := s.update(ctx, key, func(p *v1.Promotion) bool { return promotion.Record(p, r, time.Now()) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return bus.Poison(bus.ReasonNotFound, fmt.Errorf("step result for promotion %q, which does not exist in project %q", r.Promotion, r.Project))
	}
	if err != nil {
		return err
	}
	if r.Step >= len(p.Status.StepExecutionMetadata) || p.Status.StepExecutionMetadata[r.Step].Attempts != r.Attempt {
		return nil // stale: a newer attempt is recorded, or the promotion ended first
	}
	m := p.Status.StepExecutionMetadata[r.Step]
	if m.Status == v1.StepSucceeded && len(r.Metadata) > 0 {
		// Applied again on a redelivery: replacing keys is idempotent.
		if err := s.setMetadata(ctx, r.Project, r.Metadata); err != nil {
			return err
		}
	}
	if changed {
		s.Log.Info("step recorded", "project", r.Project, "promotion", r.Promotion, "step", r.Alias,
			"attempt", r.Attempt, "status", m.Status)
	}
	t := v1.TypePromotionStepRunning
	if m.FinishedAt != nil {
		t = v1.TypePromotionStepFinished
	}
	step := &v1.StepEvent{Index: r.Step, Alias: m.Alias, Uses: m.Uses, Attempt: r.Attempt, Status: m.Status,
		Message: m.Message, Outputs: p.Status.State[m.Alias]}
	return s.publish(ctx, p, t, v1.AttemptID(p.Metadata.Name, r.Step, r.Attempt), step)
}

// finish records a Promotion's final phase (or its abort), announces it, carries out what
// follows in its Stage, starts the Stage's next Promotion and deletes the workspace. Ending an
// ended Promotion changes nothing; its events are re-sent with the same IDs.
func (s *state) finish(ctx context.Context, r *v1.PromotionRecord) error {
	key := bus.Key(r.Project, r.Name)
	p, changed, err := s.update(ctx, key, func(p *v1.Promotion) bool { return promotion.Close(p, r, time.Now()) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return bus.Poison(bus.ReasonNotFound, fmt.Errorf("%s record for promotion %q, which does not exist in project %q", r.Op, r.Name, r.Project))
	}
	if err != nil || !p.Status.Finished() {
		return err
	}
	s.records.Forget(key) // it changes no more
	if changed {
		s.metrics.PromotionFinished(r.Project, p.Spec.Stage, p.Status.Phase)
		s.Log.Info("promotion finished", "project", r.Project, "stage", p.Spec.Stage, "promotion", r.Name,
			"phase", p.Status.Phase, "message", p.Status.Message)
	}
	if err := s.updateStage(ctx, r.Project, p.Spec.Stage, func(st *v1.StageStatus) bool { return stage.End(st, p) }); err != nil {
		return err
	}
	if err := announce.Ended(ctx, s.Bus, p); err != nil {
		return err
	}
	// What follows is recorded after the announcement, so the Promotion's end is not
	// delayed by it; a crash between redelivers this record and records it then.
	if err := s.follow(ctx, p); err != nil {
		return err
	}
	if err := s.queue.StartNext(ctx, r.Project, p.Spec.Stage); err != nil {
		return err
	}
	// Once the Stage has settled, a failure may roll it back (docs/resources.md#auto-rollback).
	if err := s.rollback(ctx, r.Project, p.Spec.Stage); err != nil {
		return err
	}
	if !s.opts.KeepWorkspaces {
		if err := workspace.DeleteRevisions(ctx, s.Bus.Workspaces, p.Metadata.Name, p.Status.Workspace); err != nil {
			s.Log.Warn("workspace not deleted", "promotion", p.Metadata.Name, "err", err)
		}
	}
	if changed {
		// Retention is housekeeping: a failure is retried when the Stage's next Promotion ends.
		if err := s.trimmer.Trim(ctx, r.Project, p.Spec.Stage); err != nil && ctx.Err() == nil {
			s.Log.Warn("old promotions not trimmed", "project", r.Project, "stage", p.Spec.Stage, "err", err)
		}
	}
	return nil
}

func (s *state) publish(ctx context.Context, p *v1.Promotion, eventType, id string, step *v1.StepEvent) error {
	return announce.Promotion(ctx, s.Bus, p, eventType, id, step)
}
