// Package retention deletes a Stage's oldest finished Promotions past the number the state
// service keeps (docs/operations.md#state), as stage.Trimmable picks them.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/services/state/internal/records"
)

// Trimmer trims Stages' Promotions. Its fields are set by the state service.
type Trimmer struct {
	Bus *bus.Bus
	Log *slog.Logger
	// Records forgets what it remembers of a deleted Promotion.
	Records *records.Writer
	// Keep is how many finished Promotions each Stage keeps; negative keeps every one.
	Keep int
}

// Trim deletes from dray-promotions the oldest finished Promotions of a Stage
// beyond the newest Keep finished ones. It leaves alone every Promotion that has not
// finished and every one the Stage's status names (current, queued, last, the ones that
// delivered the Freight it holds, the one whose verification waits for health, the ones
// holding auto-promotion). A Promotion is deleted only if it is unchanged since it was read
// and finished, so a concurrent writer never loses one.
//
// It finds a Stage's Promotions by their names, <stage>.<ulid>.<freight> (promotion.Name):
// the keys <project>.<stage>.*.* are the Stage's, and in key order they are oldest first.
// Listing them reads no values; only the Promotions to delete are read.
func (t *Trimmer) Trim(ctx context.Context, project, name string) error {
	keep := t.Keep
	if keep < 0 {
		return nil
	}
	var st v1.StageStatus
	if _, err := t.Bus.GetJSON(ctx, t.Bus.Stages, bus.Key(project, name), &st); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	prefix := bus.Key(project, name) + "."
	lister, err := t.Bus.Promotions.ListKeysFiltered(ctx, prefix+"*.*")
	if err != nil {
		return fmt.Errorf("list promotions of stage %s: %w", bus.Key(project, name), err)
	}
	var names []string
	for k := range lister.Keys() {
		names = append(names, name+"."+strings.TrimPrefix(k, prefix))
	}
	for _, n := range stage.Trimmable(names, &st, keep) {
		if err := t.deleteFinished(ctx, project, name, n); err != nil {
			return err
		}
	}
	return nil
}

// deleteFinished deletes a Promotion of stage if it finished, unless it changed since read.
func (t *Trimmer) deleteFinished(ctx context.Context, project, stage, name string) error {
	key := bus.Key(project, name)
	var p v1.Promotion
	rev, err := t.Bus.GetJSON(ctx, t.Bus.Promotions, key, &p)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !p.Status.Finished() || p.Spec.Stage != stage {
		return nil
	}
	if err := t.Bus.Promotions.Purge(ctx, key, jetstream.LastRevision(rev)); err != nil {
		if records.IsConflict(err) {
			return nil // changed since: looked at again after the next Promotion
		}
		return fmt.Errorf("delete promotion %s: %w", key, err)
	}
	t.Records.Forget(key)
	t.Log.Debug("finished promotion deleted: past the stage's retention", "project", project, "stage", stage, "promotion", name)
	return nil
}
