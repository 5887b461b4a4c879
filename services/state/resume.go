package state

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

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
		if err := s.queue.StartNext(ctx, project, name); err != nil {
			return err
		}
		if err := s.discards.Arm(ctx, project, name); err != nil {
			return err
		}
		if err := s.rollback(ctx, project, name); err != nil {
			return err
		}
	}
	return nil
}
