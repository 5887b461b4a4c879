// Package converge makes the scheduler's auto-promotion converge without waiting for an
// unrelated event. Pipeline events say when Freight moves, and besides them
//   - applying a Stage evaluates the origins it requests, in every Stage that requests them
//     (so the Stage itself, and the Stages downstream of it);
//   - applying a ProjectConfig evaluates every origin of the project;
//   - every resync interval, every project is evaluated, as at start.
package converge

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/store"
)

// Evaluate evaluates auto-promotion of origin's Freight in project.
type Evaluate func(ctx context.Context, project string, origin v1.FreightOrigin) error

// Watch starts watching b's dray-resources for applied Stages and ProjectConfigs, evaluating
// what they concern with evaluate, and returns the wait for the watch to end (with ctx).
// Evaluations are coalesced: a batch of applies evaluates each origin once.
func Watch(ctx context.Context, b *bus.Bus, log *slog.Logger, evaluate Evaluate) (func(), error) {
	w, err := b.Resources.WatchFiltered(ctx,
		[]string{bus.ResourceKey("*", v1.KindStage, "*"), bus.ResourceKey("*", v1.KindProjectConfig, "*")},
		jetstream.UpdatesOnly(), jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("watch applied stages and project configs: %w", err)
	}
	p := &pendingOrigins{wake: make(chan struct{}, 1)}
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
				if e != nil {
					applied(ctx, b, log, p, e)
				}
			}
		}
	})
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
			}
			for project, origins := range p.take() {
				for _, o := range origins {
					if err := evaluate(ctx, project, o); err != nil && ctx.Err() == nil {
						log.Warn("auto-promotion after an apply not evaluated; the next resync evaluates it",
							"project", project, "origin", o.Kind+"/"+o.Name, "err", err)
					}
				}
			}
		}
	})
	return wg.Wait, nil
}

// applied queues the origins an applied Stage or ProjectConfig concerns for evaluation.
func applied(ctx context.Context, b *bus.Bus, log *slog.Logger, p *pendingOrigins, e jetstream.KeyValueEntry) {
	project, rest, _ := strings.Cut(e.Key(), ".")
	kind, _, _ := strings.Cut(rest, ".")
	var origins []v1.FreightOrigin
	switch kind {
	case v1.KindStage:
		var st v1.Stage
		if err := json.Unmarshal(e.Value(), &st); err != nil {
			log.Warn("applied stage not decodable; not evaluated", "key", e.Key(), "err", err)
			return
		}
		for _, r := range st.Spec.RequestedFreight {
			origins = append(origins, r.Origin)
		}
	case v1.KindProjectConfig:
		stages, err := store.List[v1.Stage](ctx, b, b.Resources, bus.ResourceKey(project, v1.KindStage, ">"))
		if err != nil {
			log.Warn("stages of an applied project config not listed; the next resync evaluates them", "project", project, "err", err)
			return
		}
		for _, st := range stages {
			for _, r := range st.Spec.RequestedFreight {
				origins = append(origins, r.Origin)
			}
		}
	}
	p.add(project, origins)
}

// pendingOrigins are the origins, by project, waiting to be evaluated. Safe for concurrent
// use.
type pendingOrigins struct {
	mu   sync.Mutex
	byP  map[string]map[string]v1.FreightOrigin
	wake chan struct{}
}

func (p *pendingOrigins) add(project string, origins []v1.FreightOrigin) {
	if len(origins) == 0 {
		return
	}
	p.mu.Lock()
	if p.byP == nil {
		p.byP = map[string]map[string]v1.FreightOrigin{}
	}
	if p.byP[project] == nil {
		p.byP[project] = map[string]v1.FreightOrigin{}
	}
	for _, o := range origins {
		p.byP[project][o.Kind+"/"+o.Name] = o
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// take returns the pending origins and forgets them.
func (p *pendingOrigins) take() map[string][]v1.FreightOrigin {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string][]v1.FreightOrigin, len(p.byP))
	for project, origins := range p.byP {
		for _, o := range origins {
			out[project] = append(out[project], o)
		}
	}
	p.byP = nil
	return out
}

// Every calls all, which evaluates auto-promotion in every project, every interval until ctx
// ends.
func Every(ctx context.Context, every time.Duration, log *slog.Logger, all func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := all(ctx); err != nil && ctx.Err() == nil {
				log.Warn("auto-promotion resync failed; the next one tries again", "err", err)
			}
		}
	}
}
