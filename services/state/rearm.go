package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// watchWindows re-reads the promotion windows of Stages with a queue whenever a resource that
// declares or selects them is applied — a Stage, a ProjectConfig, the ClusterConfig, or a
// Project (projectSelector reads its labels) — so that the timer at the next closing
// (armDiscard) and the wait for the next opening (startNext) follow the windows as they are
// now, not as they were when the Promotion was queued (docs/resources.md#promotion-windows).
// It returns the wait for the watch to end (with ctx).
func (s *state) watchWindows(ctx context.Context) (func(), error) {
	w, err := s.Bus.Resources.WatchFiltered(ctx, []string{
		bus.ResourceKey("*", v1.KindStage, "*"), bus.ResourceKey("*", v1.KindProjectConfig, "*"),
		bus.ResourceKey("", v1.KindClusterConfig, "*"), bus.ResourceKey("", v1.KindProject, "*"),
	}, jetstream.UpdatesOnly(), jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("watch applied promotion windows: %w", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					continue
				}
				if err := s.windowsApplied(ctx, e.Key()); err != nil && ctx.Err() == nil {
					s.Log.Warn("promotion windows applied but queues not re-read; the next queued Promotion or a restart does",
						"key", e.Key(), "err", err)
				}
			}
		}
	})
	return wg.Wait, nil
}

// windowsApplied re-reads the windows of the Stages with a queue that resource key (a key of
// dray-resources) concerns.
func (s *state) windowsApplied(ctx context.Context, key string) error {
	project, rest, _ := strings.Cut(key, ".")
	kind, name, _ := strings.Cut(rest, ".")
	filter := ">" // the ClusterConfig: every Stage
	switch kind {
	case v1.KindStage:
		return s.rearm(ctx, project, name)
	case v1.KindProjectConfig:
		filter = project + ".*"
	case v1.KindProject:
		filter = name + ".*"
	}
	lister, err := s.Bus.Stages.ListKeysFiltered(ctx, filter)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for k := range lister.Keys() {
		p, st, _ := strings.Cut(k, ".")
		if err := s.rearm(ctx, p, st); err != nil {
			return err
		}
	}
	return nil
}

// rearm makes Stage name's queue follow its windows as they are now: when nothing runs, the
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
		if err := s.startNext(ctx, project, name); err != nil {
			return err
		}
	}
	return s.armDiscard(ctx, project, name)
}
