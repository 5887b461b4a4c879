package state

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
)

// startNext runs the Stage's queue: when no Promotion runs in the Stage, the oldest queued one
// becomes current and starts — unless something blocks it (stage.Blocked); then the Stage
// says why it waits, and a timer looks again when a window opens. Claiming the Stage is a
// compare-and-set on its status (stage.Claim), so two writers never start two Promotions in
// one Stage. It is idempotent: a redelivered record starts nothing twice, and re-sends the
// started event with the same ID.
func (s *state) startNext(ctx context.Context, project, name string) error {
	for {
		var st v1.StageStatus
		if _, err := s.Bus.GetLatestJSON(ctx, s.Bus.Stages, bus.Key(project, name), &st); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		next := st.CurrentPromotion // started, perhaps without its event before a crash
		if next == nil {
			if len(st.Queued) == 0 {
				if st.Waiting == "" {
					return nil
				}
				return s.setWaiting(ctx, project, name, "")
			}
			head := st.Queued[0]
			wait, err := s.blocked(ctx, project, name, &st, head.Name)
			if err != nil {
				return err
			}
			if wait.Why != "" {
				s.wakeAt(project, name, wait.Until)
				return s.setWaiting(ctx, project, name, wait.Why)
			}
			claimed := false
			err = s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool {
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
		p, started, err := s.update(ctx, bus.Key(project, next.Name), func(p *v1.Promotion) bool {
			return promotion.Start(p, time.Now())
		})
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if err := s.release(ctx, project, name, next.Name); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if !p.Status.Finished() {
			if started {
				s.metrics.promotionStarted(project, name)
			}
			return s.publish(ctx, p, v1.TypePromotionStarted, p.Metadata.Name+"/started", nil)
		}
		// Aborted while queued (or finished before a crash): free the Stage, take the next.
		if err := s.release(ctx, project, name, p.Metadata.Name); err != nil {
			return err
		}
	}
}

// blocked reads the queued Promotion head and, when needed, the Stage's promotion windows,
// and asks stage.Blocked whether head may start now in Stage name with status st.
func (s *state) blocked(ctx context.Context, project, name string, st *v1.StageStatus, head string) (stage.Wait, error) {
	p, err := store.Promotion(ctx, s.Bus, project, head)
	if errors.Is(err, store.ErrNotFound) {
		return stage.Wait{}, nil // startNext releases it
	}
	if err != nil {
		return stage.Wait{}, err
	}
	return stage.Blocked(name, st, p, time.Now(), func() ([]v1.PromotionWindow, error) {
		sp, err := store.Stage(ctx, s.Bus, project, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return store.Windows(ctx, s.Bus, project, sp)
	})
}

// wakeAt runs the Stage's queue again at t, when a window opens; a zero t sets nothing. A
// later call for the Stage replaces the timer.
func (s *state) wakeAt(project, name string, t time.Time) {
	if t.IsZero() {
		return
	}
	s.timers.At(bus.Key(project, name), t.Add(time.Second), func(ctx context.Context) {
		if err := s.startNext(ctx, project, name); err != nil && ctx.Err() == nil {
			s.Log.Error("starting the queue after a window opened", "project", project, "stage", name, "err", err)
		}
	})
}

// resumeQueues runs the queue of every Stage that has Promotions waiting, once at start: a
// window may have opened, or a crash may have come between two records. Timers are not
// durable; this is what stands in for those of a stopped service.
func (s *state) resumeQueues(ctx context.Context) error {
	lister, err := s.Bus.Stages.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for key := range lister.Keys() {
		var st v1.StageStatus
		if _, err := s.Bus.GetJSON(ctx, s.Bus.Stages, key, &st); err != nil || len(st.Queued) == 0 {
			continue
		}
		project, name, _ := strings.Cut(key, ".")
		if err := s.startNext(ctx, project, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *state) setWaiting(ctx context.Context, project, name, why string) error {
	return s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.SetWaiting(st, why) })
}

// enqueue puts a new Pending Promotion at the end of its Stage's queue, or at its front, once.
func (s *state) enqueue(ctx context.Context, p *v1.Promotion, front bool) error {
	ref := v1.PromotionReference{Name: p.Metadata.Name, Freight: p.Spec.Freight}
	return s.updateStage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(st *v1.StageStatus) bool { return stage.Enqueue(st, ref, front) })
}

// release makes the Stage forget name as its current or queued Promotion.
func (s *state) release(ctx context.Context, project, name, promotion string) error {
	return s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Release(st, promotion) })
}
