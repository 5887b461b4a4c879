// Package arrival records, for the state service, that a successful Promotion's Freight is
// now in its Stage (docs/resources.md#freight-status, #stage-status): the Stage's history and
// auto-promotion holds, and where the Freight it replaced and the new one are, as pkg/stage
// decides.
package arrival

import (
	"context"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/state/internal/records"
)

// Recorder records arrivals. Its fields are set by the state service.
type Recorder struct {
	Bus     *bus.Bus
	Records *records.Writer
}

// Receive records that p's Freight is now in p's Stage sp (nil when it was deleted since),
// with the hold p sets or lifts: a hold is set before the Stage holds p's Freight and
// lifted after (stage.ApplyHold).
func (a *Recorder) Receive(ctx context.Context, p *v1.Promotion, sp *v1.Stage) error {
	project := p.Metadata.Namespace
	change, err := stage.HoldFor(p, sp, time.Now(),
		func() (*v1.ProjectConfig, error) { return store.ProjectConfig(ctx, a.Bus, project) },
		func() ([]v1.Freight, error) {
			return store.List[v1.Freight](ctx, a.Bus, a.Bus.Freight, bus.Key(project, ">"))
		})
	if err != nil {
		return err
	}
	hold := func() error {
		if change == stage.HoldKeep {
			return nil
		}
		return a.Records.Stage(ctx, project, p.Spec.Stage, func(st *v1.StageStatus) bool { return stage.ApplyHold(st, p, change) })
	}
	if change != stage.HoldLift {
		if err := hold(); err != nil {
			return err
		}
	}
	if err := a.received(ctx, p, sp); err != nil {
		return err
	}
	if change == stage.HoldLift {
		return hold()
	}
	return nil
}

// received records that p's Freight is now in p's Stage sp (stage.Receive): the Freight of
// the same origin it replaces leaves the Stage, keeping its longest soak; the new one is
// currentlyIn the Stage from when p finished.
func (a *Recorder) received(ctx context.Context, p *v1.Promotion, sp *v1.Stage) error {
	project, name, freight := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	at, requested := stage.Arrival(p, time.Now()), stage.Requested(sp)
	var previous string
	err := a.Records.Stage(ctx, project, name, func(st *v1.StageStatus) (changed bool) {
		previous, changed = stage.Receive(st, p, requested, at)
		return changed
	})
	if err != nil {
		return err
	}
	if previous != "" && previous != freight {
		if err := a.Records.FreightStatus(ctx, project, previous, func(fs *v1.FreightStatus) { stage.Leave(fs, name, at) }); err != nil {
			return err
		}
	}
	return a.Records.FreightStatus(ctx, project, freight, func(fs *v1.FreightStatus) { stage.Arrive(fs, name, at) })
}
