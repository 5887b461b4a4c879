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
			if why, err := s.refused(ctx, project, head.Name); err != nil || why != "" {
				if err != nil {
					return err
				}
				if err := s.refuse(ctx, project, name, head.Name, why); err != nil {
					return err
				}
				continue
			}
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
				s.metrics.PromotionStarted(project, name)
			}
			return s.publish(ctx, p, v1.TypePromotionStarted, p.Metadata.Name+"/started", nil)
		}
		// Aborted while queued (or finished before a crash): free the Stage, take the next.
		if err := s.release(ctx, project, name, p.Metadata.Name); err != nil {
			return err
		}
	}
}

// refused reads the queued Promotion head and its Freight, and asks stage.Refused whether it
// must never start.
func (s *state) refused(ctx context.Context, project, head string) (string, error) {
	p, err := store.Promotion(ctx, s.Bus, project, head)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil // startNext releases it
	}
	if err != nil {
		return "", err
	}
	f, err := store.Freight(ctx, s.Bus, project, p.Spec.Freight)
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
func (s *state) refuse(ctx context.Context, project, name, head, why string) error {
	p, _, err := s.update(ctx, bus.Key(project, head), func(p *v1.Promotion) bool {
		return promotion.End(p, v1.PhaseAborted, why, time.Now())
	})
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	s.records.Forget(bus.Key(project, head))
	if err := s.release(ctx, project, name, head); err != nil || p == nil {
		return err
	}
	s.Log.Info("promotion refused", "project", project, "stage", name, "promotion", head, "why", why)
	t := v1.PhaseEventType(p.Status.Phase) // Aborted, unless it had ended otherwise meanwhile
	return s.publish(ctx, p, t, p.Metadata.Name+"/"+lastWord(t), nil)
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
// window may have opened, or a crash may have come between two records; and it rolls back a
// settled Stage whose failure was recorded just before a crash. Timers are not durable; this
// is what stands in for those of a stopped service.
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
		if _, err := s.Bus.GetJSON(ctx, s.Bus.Stages, key, &st); err != nil || len(st.Queued) == 0 && len(st.Deviations) == 0 {
			continue
		}
		project, name, _ := strings.Cut(key, ".")
		if err := s.startNext(ctx, project, name); err != nil {
			return err
		}
		if err := s.armDiscard(ctx, project, name); err != nil {
			return err
		}
		if err := s.rollback(ctx, project, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *state) setWaiting(ctx context.Context, project, name, why string) error {
	return s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.SetWaiting(st, why) })
}

// enqueue puts a new Pending Promotion in its Stage's queue by its class (stage.Enqueue), once;
// front puts it with the verification runs.
func (s *state) enqueue(ctx context.Context, p *v1.Promotion, front bool) error {
	ref := v1.PromotionReference{Name: p.Metadata.Name, Freight: p.Spec.Freight, Class: stage.ClassOf(p)}
	if front {
		ref.Class = v1.ClassVerification
	}
	return s.updateStage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(st *v1.StageStatus) bool {
		changed := stage.Enqueue(st, ref)
		if ref.Class == v1.ClassAuto && p.Metadata.CreationTimestamp != nil {
			// For autoPromotionMinInterval (docs/resources.md#auto-promotion).
			changed = stage.AutoDispatched(st, *p.Metadata.CreationTimestamp) || changed
		}
		return changed
	})
}

// release makes the Stage forget name as its current or queued Promotion.
func (s *state) release(ctx context.Context, project, name, promotion string) error {
	return s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Release(st, promotion) })
}
