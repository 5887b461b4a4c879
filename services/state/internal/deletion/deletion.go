// Package deletion carries out, for the state service, what a deleted Stage leaves behind, as
// Kargo's Stage finalizer and its garbage collection of the Stage's Promotions do
// (docs/resources.md, "Deleting resources").
package deletion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/workspace"
	"github.com/drayhq/dray/services/state/internal/announce"
	"github.com/drayhq/dray/services/state/internal/metrics"
	"github.com/drayhq/dray/services/state/internal/records"
)

// Deleter deletes what a deleted Stage leaves. Its fields are set by the state service.
type Deleter struct {
	Bus     *bus.Bus
	Log     *slog.Logger
	Records *records.Writer
	Metrics *metrics.Metrics
}

// Stage drops the deleted Stage's status (its queue goes with it, so nothing starts there
// again), ends every Promotion of the Stage that has not finished Aborted and announces it
// (executors stop its steps), deletes the Stage's Promotions and their workspaces, and
// forgets the Stage in its Freight's status (current, verified, approved, rejected). A Stage
// applied again before the record arrives is left alone: it is a new Stage. Each part is
// idempotent, so a redelivered record finishes what a crash cut short.
func (d *Deleter) Stage(ctx context.Context, r *v1.StageRecord) error {
	exists, err := records.StageExists(ctx, d.Bus, r.Project, r.Stage)
	if err != nil || exists {
		if exists {
			d.Log.Info("stage applied again before its deletion was recorded; kept", "project", r.Project, "stage", r.Stage)
		}
		return err
	}
	key := bus.Key(r.Project, r.Stage)
	// The status goes first: records.Writer.Stage creates no status for a Stage without a
	// resource, so a late record cannot bring it back, and the queue finds nothing to run.
	if err := d.Bus.Stages.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("drop status of deleted stage %s: %w", key, err)
	}
	d.Metrics.Queue(r.Project, r.Stage, &v1.StageStatus{})
	lister, err := d.Bus.Promotions.ListKeysFiltered(ctx, key+".*.*")
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return fmt.Errorf("list promotions of deleted stage %s: %w", key, err)
	}
	var keys []string
	if lister != nil {
		for k := range lister.Keys() {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if err := d.Promotion(ctx, r, k); err != nil {
			return err
		}
	}
	if err := d.forget(ctx, r.Project, r.Stage); err != nil {
		return err
	}
	d.Log.Info("stage deleted", "project", r.Project, "stage", r.Stage, "promotions", len(keys), "by", r.Actor)
	return nil
}

// Promotion aborts the Promotion under key, of the Stage r deletes, when it has not
// finished, announcing it; then it deletes it and its workspace.
func (d *Deleter) Promotion(ctx context.Context, r *v1.StageRecord, key string) error {
	actor := r.Actor
	if actor == "" {
		actor = "dray"
	}
	p, aborted, err := d.Records.Promotion(ctx, key, func(p *v1.Promotion) bool {
		return promotion.Abort(p, actor+" (stage "+r.Stage+" deleted)", time.Now())
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	d.Records.Forget(key)
	if aborted {
		d.Metrics.PromotionFinished(r.Project, r.Stage, p.Status.Phase)
		if err := announce.Promotion(ctx, d.Bus, p, v1.TypePromotionAborted, p.Metadata.Name+"/aborted", nil); err != nil {
			return err
		}
	}
	if err := d.Bus.Promotions.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete promotion %s of deleted stage: %w", key, err)
	}
	if err := workspace.DeleteRevisions(ctx, d.Bus.Workspaces, p.Metadata.Name, p.Status.Workspace); err != nil {
		d.Log.Warn("workspace not deleted", "promotion", p.Metadata.Name, "err", err)
	}
	return nil
}

// forget takes a deleted Stage out of the status of every Freight of the project
// (stage.Forget), with compare-and-set: a Freight it held is then no longer in use (and may
// be deleted), and an approval or verification does not pass to a new Stage of the same
// name.
func (d *Deleter) forget(ctx context.Context, project, name string) error {
	lister, err := d.Bus.Freight.ListKeysFiltered(ctx, bus.Key(project, "*"))
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list freight of project %s: %w", project, err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k) // <project>.<name>: alias keys start with _alias.
	}
	for _, k := range keys {
		var f v1.Freight
		if _, err := d.Bus.GetJSON(ctx, d.Bus.Freight, k, &f); err != nil {
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				continue
			}
			return err
		}
		if !stage.Forget(&f.Status, name) {
			continue // nothing to write
		}
		err := d.Records.Freight(ctx, k, func(f *v1.Freight) { stage.Forget(&f.Status, name) })
		if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("forget deleted stage %s in freight %s: %w", name, k, err)
		}
	}
	return nil
}
