package state

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// rearm makes Stage name's queue follow its windows as they are now (windowwatch.Watch
// calls it when they are applied): when nothing runs, the
// head starts if they opened (or waits until they open), and the timer at their next closing
// is set again. A Stage without a queue has nothing to follow.
func (s *state) rearm(ctx context.Context, project, name string) error {
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
	if st.CurrentPromotion == nil {
		if err := s.queue.StartNext(ctx, project, name); err != nil {
			return err
		}
	}
	return s.discards.Arm(ctx, project, name)
}
