package store

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// StageStatus reads a Stage's status; a Stage without one (never promoted, or deleted) has
// an empty status.
func StageStatus(ctx context.Context, b *bus.Bus, project, stage string) (v1.StageStatus, error) {
	var st v1.StageStatus
	if _, err := b.GetJSON(ctx, b.Stages, bus.Key(project, stage), &st); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return v1.StageStatus{}, err
	}
	return st, nil
}
