// Package discard ends a Stage's queued Promotions when its promotion windows close
// (docs/resources.md#promotion-windows), for the state service: pkg/stage decides which go
// (stage.Discard) and pkg/window when the windows close and what keeps Promotions pending.
package discard

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
	"github.com/drayhq/dray/pkg/window"
	"github.com/drayhq/dray/services/state/internal/announce"
	"github.com/drayhq/dray/services/state/internal/records"
)

// Discarder discards queued Promotions. Its fields are set by the state service.
type Discarder struct {
	Bus     *bus.Bus
	Log     *slog.Logger
	Records *records.Writer
	// Timers holds, under close.<project>.<stage>, when a Stage's windows next close.
	Timers *timer.Set
}

// Arm sets a timer at the next closing of Stage name's promotion windows while Promotions
// wait in its queue; then Discard runs. It is called when a Promotion is queued and, for
// every Stage with a queue, at start: timers do not outlive the service. A later call for
// the Stage replaces the timer. An invalid window arms nothing: it holds the queue already,
// saying why.
func (d *Discarder) Arm(ctx context.Context, project, name string) error {
	var st v1.StageStatus
	if _, err := d.Bus.GetLatestJSON(ctx, d.Bus.Stages, bus.Key(project, name), &st); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		return err
	}
	if len(st.Queued) == 0 {
		return nil
	}
	ws, err := store.StageWindows(ctx, d.Bus, project, name)
	if err != nil || len(ws) == 0 {
		return err
	}
	ev, err := window.Evaluate(ws, time.Now())
	if err != nil || ev.NextClose == nil {
		return nil
	}
	d.Timers.At("close."+bus.Key(project, name), ev.NextClose.Add(100*time.Millisecond), func(ctx context.Context) {
		if err := d.Discard(ctx, project, name); err != nil && ctx.Err() == nil {
			d.Log.Error("discarding queued promotions when a window closed", "project", project, "stage", name, "err", err)
		}
	})
	return nil
}

// Discard ends, Aborted, the queued Promotions of Stage name that stage.Discard says a
// closing of its windows discards, when they are closed now and no closing window keeps them
// (window.KeepPending); each is taken out of the queue and announced with
// promotion.discarded. Then it arms the next closing.
func (d *Discarder) Discard(ctx context.Context, project, name string) error {
	ws, err := store.StageWindows(ctx, d.Bus, project, name)
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
		if _, err := d.Bus.GetLatestJSON(ctx, d.Bus.Stages, bus.Key(project, name), &st); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		queued := map[string]*v1.Promotion{}
		for _, ref := range st.Queued {
			p, err := store.Promotion(ctx, d.Bus, project, ref.Name)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			queued[ref.Name] = p
		}
		for _, head := range stage.Discard(st.Queued, queued, keep, now) {
			if err := d.discard(ctx, project, name, head, "discarded: the Stage's promotion windows closed ("+ev.Reason+")"); err != nil {
				return err
			}
		}
	}
	return d.Arm(ctx, project, name)
}

// discard ends the queued Promotion head Aborted with message why, takes it out of the queue
// and announces promotion.discarded. It never ran, so it is not the Stage's last Promotion:
// it is recorded as the last discarded one (stage.Discarded), which auto-promotion follows.
func (d *Discarder) discard(ctx context.Context, project, name, head, why string) error {
	p, changed, err := d.Records.Promotion(ctx, bus.Key(project, head), func(p *v1.Promotion) bool {
		return promotion.Discard(p, why, time.Now()) // one that started meanwhile runs on
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return d.release(ctx, project, name, head)
	}
	if err != nil || !p.Status.Finished() {
		return err
	}
	d.Records.Forget(bus.Key(project, head))
	if err := d.Records.Stage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Discarded(st, p) }); err != nil {
		return err
	}
	if changed {
		d.Log.Info("promotion discarded", "project", project, "stage", name, "promotion", head, "why", why)
	}
	return announce.Promotion(ctx, d.Bus, p, v1.TypePromotionDiscarded, p.Metadata.Name+"/discarded", nil)
}

func (d *Discarder) release(ctx context.Context, project, name, head string) error {
	return d.Records.Stage(ctx, project, name, func(st *v1.StageStatus) bool { return stage.Release(st, head) })
}
