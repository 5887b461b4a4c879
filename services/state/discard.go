package state

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/window"
)

// armDiscard sets a timer at the next closing of Stage name's promotion windows while
// Promotions wait in its queue; then discardQueued runs (docs/resources.md#promotion-windows).
// It is called when a Promotion is queued and, for every Stage with a queue, at start: timers
// do not outlive the service. A later call for the Stage replaces the timer. An invalid window
// arms nothing: it holds the queue already, saying why.
func (s *state) armDiscard(ctx context.Context, project, name string) error {
	var st v1.StageStatus
	if _, err := s.Bus.GetLatestJSON(ctx, s.Bus.Stages, bus.Key(project, name), &st); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		return err
	}
	if len(st.Queued) == 0 {
		return nil
	}
	ws, err := s.stageWindows(ctx, project, name)
	if err != nil || len(ws) == 0 {
		return err
	}
	ev, err := window.Evaluate(ws, time.Now())
	if err != nil || ev.NextClose == nil {
		return nil
	}
	s.timers.At("close."+bus.Key(project, name), ev.NextClose.Add(100*time.Millisecond), func(ctx context.Context) {
		if err := s.discardQueued(ctx, project, name); err != nil && ctx.Err() == nil {
			s.Log.Error("discarding queued promotions when a window closed", "project", project, "stage", name, "err", err)
		}
	})
	return nil
}

// discardQueued ends, Aborted, the queued Promotions of Stage name that stage.Discard says a
// closing of its windows discards, when they are closed now and no closing window keeps them
// (window.KeepPending); each is taken out of the queue and announced with
// promotion.discarded. Then it arms the next closing.
func (s *state) discardQueued(ctx context.Context, project, name string) error {
	ws, err := s.stageWindows(ctx, project, name)
	if err != nil || len(ws) == 0 {
		return err
	}
	now := time.Now()
	ev, err := window.Evaluate(ws, now)
	if err != nil {
		return nil // an invalid window holds the queue, saying why
	}
	if ev.Closed {
		keep, err := window.KeepPending(ws, now)
		if err != nil {
			return nil
		}
		var st v1.StageStatus
		if _, err := s.Bus.GetLatestJSON(ctx, s.Bus.Stages, bus.Key(project, name), &st); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		queued := map[string]*v1.Promotion{}
		for _, ref := range st.Queued {
			p, err := store.Promotion(ctx, s.Bus, project, ref.Name)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			queued[ref.Name] = p
		}
		for _, head := range stage.Discard(st.Queued, queued, keep, now) {
			if err := s.discard(ctx, project, name, head, "discarded: the Stage's promotion windows closed ("+ev.Reason+")"); err != nil {
				return err
			}
		}
	}
	return s.armDiscard(ctx, project, name)
}

// discard ends the queued Promotion head Aborted with message why, takes it out of the queue
// and announces promotion.discarded. It never ran, so it is not the Stage's last Promotion:
// it is recorded as the last discarded one (stage.Discarded), which auto-promotion follows.
func (s *state) discard(ctx context.Context, project, name, head, why string) error {
	p, changed, err := s.update(ctx, bus.Key(project, head), func(p *v1.Promotion) bool {
		if p.Status.Phase != v1.PhasePending && p.Status.Phase != "" {
			return false // it started meanwhile: it runs on
		}
		return promotion.End(p, v1.PhaseAborted, why, time.Now())
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return s.release(ctx, project, name, head)
	}
	if err != nil || !p.Status.Finished() {
		return err
	}
	s.records.Forget(bus.Key(project, head))
	if err := s.updateStage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Discarded(st, p) }); err != nil {
		return err
	}
	if changed {
		s.Log.Info("promotion discarded", "project", project, "stage", name, "promotion", head, "why", why)
	}
	return s.publish(ctx, p, v1.TypePromotionDiscarded, p.Metadata.Name+"/discarded", nil)
}

// stageWindows reads the promotion windows of Stage name: its own, its ProjectConfig's and the
// ClusterConfig's; none when the Stage is gone.
func (s *state) stageWindows(ctx context.Context, project, name string) ([]v1.PromotionWindow, error) {
	sp, err := store.Stage(ctx, s.Bus, project, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return store.Windows(ctx, s.Bus, project, sp)
}
