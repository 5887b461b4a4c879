// Package windowwatch follows applied promotion windows for the state service: a resource
// that declares or selects windows, once applied, makes each Stage it concerns re-read them.
package windowwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// Rearm makes Stage name of project follow its windows as they are now.
type Rearm func(ctx context.Context, project, name string) error

// Watch calls rearm for every Stage whose promotion windows a resource applied to b may have
// changed — a Stage, a ProjectConfig, the ClusterConfig, or a Project (projectSelector reads
// its labels) — so that the timer at the next closing and the wait for the next opening
// follow the windows as they are now, not as they were when the Promotion was queued
// (docs/resources.md#promotion-windows). It returns the wait for the watch to end (with ctx).
func Watch(ctx context.Context, b *bus.Bus, log *slog.Logger, rearm Rearm) (func(), error) {
	w, err := b.Resources.WatchFiltered(ctx, []string{
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
				if err := applied(ctx, b, rearm, e.Key()); err != nil && ctx.Err() == nil {
					log.Warn("promotion windows applied but queues not re-read; the next queued Promotion or a restart does",
						"key", e.Key(), "err", err)
				}
			}
		}
	})
	return wg.Wait, nil
}

// applied calls rearm for the Stages that resource key (a key of dray-resources) concerns.
func applied(ctx context.Context, b *bus.Bus, rearm Rearm, key string) error {
	project, rest, _ := strings.Cut(key, ".")
	kind, name, _ := strings.Cut(rest, ".")
	filter := ">" // the ClusterConfig: every Stage
	switch kind {
	case v1.KindStage:
		return rearm(ctx, project, name)
	case v1.KindProjectConfig:
		filter = project + ".*"
	case v1.KindProject:
		filter = name + ".*"
	}
	lister, err := b.Stages.ListKeysFiltered(ctx, filter)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for k := range lister.Keys() {
		p, st, _ := strings.Cut(k, ".")
		if err := rearm(ctx, p, st); err != nil {
			return err
		}
	}
	return nil
}
