// Package records writes the state service's records to their buckets with compare-and-set:
// Promotions (starting from what this service wrote last), Stage status and Freight. A
// change that loses to another writer is applied again to what that writer stored.
package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// Writer writes records with compare-and-set. Safe for concurrent use.
type Writer struct {
	bus     *bus.Bus
	log     *slog.Logger
	written written // the Promotions this Writer stored last
	onStage func(project, stage string, st *v1.StageStatus)
}

// New returns a Writer to b's buckets that logs to log; onStage, when set, sees every Stage
// status it stores.
func New(b *bus.Bus, log *slog.Logger, onStage func(project, stage string, st *v1.StageStatus)) *Writer {
	return &Writer{bus: b, log: log, onStage: onStage}
}

// Forget drops what the Writer remembers of the Promotion under key, once it changes no
// more or was deleted.
func (w *Writer) Forget(key string) { w.written.forget(key) }

// Promotion applies change to the Promotion stored under key with compare-and-set, retrying
// when another writer got there first. change reports whether it changed anything. It starts
// from what this Writer stored last, when it has that, and from the bucket otherwise — read from
// its leader, since a lagging replica would make a result look stale or a change look done.
// "Nothing to change" is only believed of the bucket's latest: another replica of this
// service may have written since the cached copy. It returns the Promotion as stored, and
// whether it changed.
func (w *Writer) Promotion(ctx context.Context, key string, change func(p *v1.Promotion) bool) (*v1.Promotion, bool, error) {
	for {
		var p v1.Promotion
		last, cached := w.written.get(key)
		if cached {
			if err := json.Unmarshal(last.data, &p); err != nil {
				return nil, false, fmt.Errorf("decode promotion %s: %w", key, err)
			}
		} else {
			rev, err := w.bus.GetLatestJSON(ctx, w.bus.Promotions, key, &p)
			if err != nil {
				return nil, false, err
			}
			last.rev = rev
		}
		if !change(&p) {
			if cached {
				w.written.forget(key)
				continue
			}
			return &p, false, nil
		}
		data, err := json.Marshal(&p)
		if err != nil {
			return nil, false, fmt.Errorf("encode promotion %s: %w", key, err)
		}
		var rev uint64
		err = w.bus.Retry(ctx, func(ctx context.Context) (err error) {
			rev, err = w.bus.Promotions.Update(ctx, key, data, last.rev)
			return err
		})
		if err == nil {
			w.written.put(key, rev, data)
			return &p, true, nil
		}
		w.written.forget(key)
		if !IsConflict(err) {
			return nil, false, fmt.Errorf("update promotion %s: %w", key, err)
		}
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
	}
}

// IsConflict reports whether err is a compare-and-set that lost to another writer.
func IsConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		errors.Is(err, jetstream.ErrKeyExists)
}

// Stage applies change to a Stage's status with compare-and-set. A status is created only
// for a Stage whose resource exists, and checked again once created: a record that arrives
// late for a deleted Stage (a step's result, a Promotion's end) cannot bring its status
// back, whichever way it interleaves with the deletion (the state service's internal/deletion).
func (w *Writer) Stage(ctx context.Context, project, stage string, change func(*v1.StageStatus) bool) error {
	key := bus.Key(project, stage)
	for {
		var st v1.StageStatus
		rev, err := w.bus.GetLatestJSON(ctx, w.bus.Stages, key, &st)
		if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		if !change(&st) {
			return nil
		}
		data, err := json.Marshal(&st)
		if err != nil {
			return err
		}
		if rev == 0 {
			err = w.createStage(ctx, project, stage, data)
		} else {
			_, err = w.bus.Stages.Update(ctx, key, data, rev)
		}
		if errors.Is(err, errStageDeleted) {
			w.log.Debug("status of a deleted stage not recorded", "project", project, "stage", stage)
			return nil
		}
		if err == nil {
			if w.onStage != nil {
				w.onStage(project, stage, &st)
			}
			return nil
		}
		if !IsConflict(err) {
			return fmt.Errorf("update stage status %s: %w", key, err)
		}
	}
}

// errStageDeleted is what createStage answers for a Stage whose resource is gone.
var errStageDeleted = errors.New("stage deleted")

// createStage stores the first status of a Stage, if its resource exists before and after:
// a deletion deletes the resource before the status, so a status created after that
// deletion is seen here and deleted again.
func (w *Writer) createStage(ctx context.Context, project, stage string, data []byte) error {
	if ok, err := StageExists(ctx, w.bus, project, stage); err != nil || !ok {
		if err == nil {
			err = errStageDeleted
		}
		return err
	}
	key := bus.Key(project, stage)
	rev, err := w.bus.Stages.Create(ctx, key, data)
	if err != nil {
		return err
	}
	if ok, err := StageExists(ctx, w.bus, project, stage); err != nil || ok {
		return err
	}
	if err := w.bus.Stages.Purge(ctx, key, jetstream.LastRevision(rev)); err != nil && !IsConflict(err) {
		return fmt.Errorf("drop status of deleted stage %s: %w", key, err)
	}
	return errStageDeleted
}

// StageExists reports whether the Stage's resource is stored.
func StageExists(ctx context.Context, b *bus.Bus, project, name string) (bool, error) {
	_, err := b.Resources.Get(ctx, bus.ResourceKey(project, v1.KindStage, name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Freight applies change to a Freight with compare-and-set.
func (w *Writer) Freight(ctx context.Context, key string, change func(*v1.Freight)) error {
	for {
		var f v1.Freight
		rev, err := w.bus.GetLatestJSON(ctx, w.bus.Freight, key, &f)
		if err != nil {
			return err
		}
		change(&f)
		data, err := json.Marshal(&f)
		if err != nil {
			return err
		}
		if _, err = w.bus.Freight.Update(ctx, key, data, rev); err == nil || !IsConflict(err) {
			return err
		}
	}
}

// FreightStatus applies change to a Freight's status with compare-and-set; a Freight that no
// longer exists is skipped.
func (w *Writer) FreightStatus(ctx context.Context, project, name string, change func(*v1.FreightStatus)) error {
	err := w.Freight(ctx, bus.Key(project, name), func(f *v1.Freight) { change(&f.Status) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		w.log.Warn("freight status not recorded: no such freight", "project", project, "freight", name)
		return nil
	}
	return err
}
