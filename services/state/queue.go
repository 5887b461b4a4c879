package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/store"
)

// startNext runs the Stage's queue (RESOURCES.md §4.5): when no Promotion runs in the Stage,
// the oldest queued one becomes current and starts — unless the Stage is paused, or a
// promotion window keeps it closed and the Promotion was not started with an override; then
// the Stage says why it waits, and a timer looks again when the window opens. Claiming the
// Stage is a compare-and-set on its status, so two writers never start two Promotions in one
// Stage. It is idempotent: a redelivered record starts nothing twice, and re-sends the
// started event with the same ID.
func (s *state) startNext(ctx context.Context, project, stage string) error {
	for {
		var st v1.StageStatus
		if _, err := s.Bus.GetLatestJSON(ctx, s.Bus.Stages, bus.Key(project, stage), &st); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		next := st.CurrentPromotion // started, perhaps without its event before a crash
		if next == nil {
			if len(st.Queued) == 0 {
				if st.Waiting == "" {
					return nil
				}
				return s.setWaiting(ctx, project, stage, "")
			}
			head := st.Queued[0]
			why, until, err := s.held(ctx, project, stage, &st, head.Name)
			if err != nil {
				return err
			}
			if why != "" {
				s.wakeAt(project, stage, until)
				return s.setWaiting(ctx, project, stage, why)
			}
			claimed := false
			err = s.updateStage(ctx, project, stage, func(st *v1.StageStatus) bool {
				claimed = st.CurrentPromotion == nil && len(st.Queued) > 0 && st.Queued[0].Name == head.Name
				if claimed {
					st.CurrentPromotion, st.Queued, st.Waiting = &st.Queued[0], st.Queued[1:], ""
				}
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
			if err := s.release(ctx, project, stage, next.Name); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if !p.Status.Finished() {
			if started {
				s.metrics.promotionStarted(project, stage)
			}
			return s.publish(ctx, p, v1.TypePromotionStarted, p.Metadata.Name+"/started", nil)
		}
		// Aborted while queued (or finished before a crash): free the Stage, take the next.
		if err := s.release(ctx, project, stage, p.Metadata.Name); err != nil {
			return err
		}
	}
}

// held says why the queued Promotion name may not start now in a Stage with status st, and
// until when; "" when it may. A verification run is never held: it belongs to the Promotion
// that ran.
func (s *state) held(ctx context.Context, project, stage string, st *v1.StageStatus, name string) (string, time.Time, error) {
	p, err := store.Promotion(ctx, s.Bus, project, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", time.Time{}, nil // startNext releases it
	}
	if err != nil {
		return "", time.Time{}, err
	}
	if _, ok := p.Metadata.Annotations[v1.AnnotationVerifies]; ok || p.Status.Finished() {
		return "", time.Time{}, nil
	}
	if pause := st.Paused; pause != nil {
		why := "paused"
		if pause.By != "" {
			why += " by " + pause.By
		}
		if pause.Reason != "" {
			why += ": " + pause.Reason
		}
		return why + "; dray resume " + stage + " lets its Promotions start", time.Time{}, nil
	}
	if _, ok := p.Metadata.Annotations[v1.AnnotationWindowOverride]; ok {
		return "", time.Time{}, nil
	}
	sp, err := store.Stage(ctx, s.Bus, project, stage)
	if errors.Is(err, store.ErrNotFound) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, err
	}
	cfg, err := store.ProjectConfig(ctx, s.Bus, project)
	if err != nil {
		return "", time.Time{}, err
	}
	check, err := pipeline.CheckWindows(pipeline.Windows(cfg, sp), time.Now())
	if err != nil {
		return "Promotions wait: " + err.Error(), time.Time{}, nil
	}
	if !check.Open {
		return fmt.Sprintf("Promotion %s waits: %s", name, check.Reason), check.Until, nil
	}
	return "", time.Time{}, nil
}

// wakeAt runs the Stage's queue again at t, when a window opens. A later call for the Stage
// replaces the timer. Timers are not durable: a restarted state service runs every queue
// once at start (resumeQueues).
func (s *state) wakeAt(project, stage string, t time.Time) {
	if t.IsZero() {
		return
	}
	key := bus.Key(project, stage)
	s.timersMu.Lock()
	defer s.timersMu.Unlock()
	if old := s.timers[key]; old != nil {
		old.Stop()
	}
	s.timers[key] = time.AfterFunc(time.Until(t)+time.Second, func() {
		if err := s.startNext(s.ctx, project, stage); err != nil && s.ctx.Err() == nil {
			s.Log.Error("starting the queue after a window opened", "project", project, "stage", stage, "err", err)
		}
	})
}

// resumeQueues runs the queue of every Stage that has Promotions waiting, once at start: a
// window may have opened, or a crash may have come between two records.
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
		project, stage, _ := strings.Cut(key, ".")
		if err := s.startNext(ctx, project, stage); err != nil {
			return err
		}
	}
	return nil
}

func (s *state) setWaiting(ctx context.Context, project, stage, why string) error {
	return s.updateStage(ctx, project, stage, func(st *v1.StageStatus) bool {
		if st.Waiting == why {
			return false
		}
		st.Waiting = why
		return true
	})
}

// enqueue puts a new Pending Promotion at the end of its Stage's queue, or at its front, once.
func (s *state) enqueue(ctx context.Context, p *v1.Promotion, front bool) error {
	ref := v1.PromotionReference{Name: p.Metadata.Name, Freight: p.Spec.Freight}
	return s.updateStage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(st *v1.StageStatus) bool {
		if st.CurrentPromotion != nil && st.CurrentPromotion.Name == ref.Name || queued(st, ref.Name) >= 0 {
			return false
		}
		if front {
			st.Queued = append([]v1.PromotionReference{ref}, st.Queued...)
		} else {
			st.Queued = append(st.Queued, ref)
		}
		return true
	})
}

// release makes the Stage forget name as its current or queued Promotion.
func (s *state) release(ctx context.Context, project, stage, name string) error {
	return s.updateStage(ctx, project, stage, func(st *v1.StageStatus) bool {
		changed := false
		if st.CurrentPromotion != nil && st.CurrentPromotion.Name == name {
			st.CurrentPromotion, changed = nil, true
		}
		if i := queued(st, name); i >= 0 {
			st.Queued, changed = slices.Delete(st.Queued, i, i+1), true
		}
		return changed
	})
}

func queued(st *v1.StageStatus, name string) int {
	return slices.IndexFunc(st.Queued, func(r v1.PromotionReference) bool { return r.Name == name })
}
