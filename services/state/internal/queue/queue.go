// Package queue runs a Stage's queue of Promotions for the state service
// (docs/resources.md#the-queue): it queues new Promotions, and when no Promotion runs in a
// Stage it starts the oldest queued one, unless pkg/stage says something refuses or blocks
// it; then the Stage says why it waits, and a timer looks again when a window opens.
package queue

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/timer"
	"github.com/drayhq/dray/services/state/internal/announce"
	"github.com/drayhq/dray/services/state/internal/metrics"
	"github.com/drayhq/dray/services/state/internal/records"
)

// Queue runs Stages' queues. Its fields are set by the state service.
type Queue struct {
	Bus     *bus.Bus
	Log     *slog.Logger
	Records *records.Writer
	Metrics *metrics.Metrics
	// Timers holds, under <project>.<stage>, when a Stage's queue is run again.
	Timers *timer.Set
}

// StartNext runs the Stage's queue: when no Promotion runs in the Stage, the oldest queued one
// becomes current and starts — unless something blocks it (stage.Blocked); then the Stage
// says why it waits, and a timer looks again when a window opens. Claiming the Stage is a
// compare-and-set on its status (stage.Claim), so two writers never start two Promotions in
// one Stage. It is idempotent: a redelivered record starts nothing twice, and re-sends the
// started event with the same ID.
func (q *Queue) StartNext(ctx context.Context, project, name string) error {
	for {
		var st v1.StageStatus
		if _, err := q.Bus.GetLatestJSON(ctx, q.Bus.Stages, bus.Key(project, name), &st); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		next := st.CurrentPromotion // started, perhaps without its event before a crash
		if next == nil {
			if len(st.Queued) == 0 {
				if st.Waiting == "" {
					return nil
				}
				return q.setWaiting(ctx, project, name, "")
			}
			head := st.Queued[0]
			if why, err := q.refused(ctx, project, head.Name); err != nil || why != "" {
				if err != nil {
					return err
				}
				if err := q.refuse(ctx, project, name, head.Name, why); err != nil {
					return err
				}
				continue
			}
			wait, err := q.blocked(ctx, project, name, &st, head.Name)
			if err != nil {
				return err
			}
			if wait.Why != "" {
				q.wakeAt(project, name, wait.Until)
				return q.setWaiting(ctx, project, name, wait.Why)
			}
			claimed := false
			err = q.Records.Stage(ctx, project, name, func(st *v1.StageStatus) bool {
				claimed = stage.Claim(st, head.Name)
				return claimed
			})
			if err != nil {
				return err
			}
			if !claimed {
				continue // the queue changed meanwhile: look again
			}
			next = &head
		}
		p, started, err := q.Records.Promotion(ctx, bus.Key(project, next.Name), func(p *v1.Promotion) bool {
			return promotion.Start(p, time.Now())
		})
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if err := q.Release(ctx, project, name, next.Name); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if !p.Status.Finished() {
			if started {
				q.Metrics.PromotionStarted(project, name)
			}
			return announce.Promotion(ctx, q.Bus, p, v1.TypePromotionStarted, p.Metadata.Name+"/started", nil)
		}
		// Aborted while queued (or finished before a crash): free the Stage, take the next.
		if err := q.Release(ctx, project, name, p.Metadata.Name); err != nil {
			return err
		}
	}
}

// refused reads the queued Promotion head and its Freight, and asks stage.Refused whether it
// must never start.
func (q *Queue) refused(ctx context.Context, project, head string) (string, error) {
	p, err := store.Promotion(ctx, q.Bus, project, head)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil // StartNext releases it
	}
	if err != nil {
		return "", err
	}
	f, err := store.Freight(ctx, q.Bus, project, p.Spec.Freight)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return stage.Refused(p, f), nil
}

// refuse ends the queued Promotion head Aborted, saying why, takes it out of the queue and
// announces it. It never ran, so it is not the Stage's last Promotion: auto-promotion may
// promote its Freight once the rejection is taken back.
func (q *Queue) refuse(ctx context.Context, project, name, head, why string) error {
	p, _, err := q.Records.Promotion(ctx, bus.Key(project, head), func(p *v1.Promotion) bool {
		return promotion.End(p, v1.PhaseAborted, why, time.Now())
	})
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	q.Records.Forget(bus.Key(project, head))
	if err := q.Release(ctx, project, name, head); err != nil || p == nil {
		return err
	}
	q.Log.Info("promotion refused", "project", project, "stage", name, "promotion", head, "why", why)
	return announce.Ended(ctx, q.Bus, p) // Aborted, unless it had ended otherwise meanwhile
}

// blocked reads the queued Promotion head and, when needed, the Stage's promotion windows,
// and asks stage.Blocked whether head may start now in Stage name with status st.
func (q *Queue) blocked(ctx context.Context, project, name string, st *v1.StageStatus, head string) (stage.Wait, error) {
	p, err := store.Promotion(ctx, q.Bus, project, head)
	if errors.Is(err, store.ErrNotFound) {
		return stage.Wait{}, nil // StartNext releases it
	}
	if err != nil {
		return stage.Wait{}, err
	}
	return stage.Blocked(name, st, p, time.Now(), func() ([]v1.PromotionWindow, error) {
		return store.StageWindows(ctx, q.Bus, project, name)
	})
}

// wakeAt runs the Stage's queue again at t, when a window opens; a zero t sets nothing. A
// later call for the Stage replaces the timer.
func (q *Queue) wakeAt(project, name string, t time.Time) {
	if t.IsZero() {
		return
	}
	q.Timers.At(bus.Key(project, name), t.Add(time.Second), func(ctx context.Context) {
		if err := q.StartNext(ctx, project, name); err != nil && ctx.Err() == nil {
			q.Log.Error("starting the queue after a window opened", "project", project, "stage", name, "err", err)
		}
	})
}

func (q *Queue) setWaiting(ctx context.Context, project, name, why string) error {
	return q.Records.Stage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.SetWaiting(st, why) })
}

// Enqueue puts a new Pending Promotion in its Stage's queue by its class (stage.Enqueue), once;
// front puts it with the verification runs.
func (q *Queue) Enqueue(ctx context.Context, p *v1.Promotion, front bool) error {
	ref := v1.PromotionReference{Name: p.Metadata.Name, Freight: p.Spec.Freight, Class: stage.ClassOf(p)}
	if front {
		ref.Class = v1.ClassVerification
	}
	return q.Records.Stage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(st *v1.StageStatus) bool {
		changed := stage.Enqueue(st, ref)
		if ref.Class == v1.ClassAuto && p.Metadata.CreationTimestamp != nil {
			// For autoPromotionMinInterval (docs/resources.md#auto-promotion).
			changed = stage.AutoDispatched(st, *p.Metadata.CreationTimestamp) || changed
		}
		return changed
	})
}

// Release makes the Stage forget promotion as its current or queued Promotion.
func (q *Queue) Release(ctx context.Context, project, name, promotion string) error {
	return q.Records.Stage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Release(st, promotion) })
}
