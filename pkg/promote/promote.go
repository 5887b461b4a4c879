package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/store"
)

// ErrRejected marks a request that can never succeed as sent: an unknown Stage or Freight, a
// Stage without steps. It is answered, not retried.
var ErrRejected = errors.New("rejected")

// Build creates the Promotion a promote command asks for, from the Stage and Freight stored
// now. Errors that wrap ErrRejected (unknown Stage or Freight, a Stage without steps) can
// never succeed; others are transient. The
// scheduler calls it for every command; the gateway calls it to reject bad requests at once.
func Build(ctx context.Context, b *bus.Bus, cmd *v1.PromoteCommand) (*v1.Promotion, error) {
	stage, err := store.Stage(ctx, b, cmd.Project, cmd.Stage)
	if err != nil {
		return nil, rejectIfNotFound(err)
	}
	freight, err := store.Freight(ctx, b, cmd.Project, cmd.Freight)
	if err != nil {
		return nil, rejectIfNotFound(err)
	}
	if !pipeline.Promotable(stage) {
		return nil, fmt.Errorf("%w: Stage %q has no promotion steps: it is a control-flow Stage and cannot be promoted to", ErrRejected, cmd.Stage)
	}
	if ok, why := pipeline.Available(stage, freight, time.Now()); !ok {
		return nil, fmt.Errorf("%w: %s", ErrRejected, why)
	}
	now := time.Now()
	if cmd.RequestedAt != nil {
		now = *cmd.RequestedAt
	}
	at := now // the time in the Promotion's name
	if cmd.RequestedAt == nil && cmd.ID != "" && freight.DiscoveredAt != nil {
		// The sender's idempotency key alone must give the same name, so that the same
		// request sent twice is one Promotion.
		at = *freight.DiscoveredAt
	}
	p, err := promotion.New(promotion.Request{
		Project: cmd.Project, Stage: stage, Freight: freight, Actor: cmd.Actor, Now: now,
		Name: promotion.Name(cmd.Stage, freight.Metadata.Name, cmd.ID, at),
		Tasks: func(ref v1.PromotionTaskReference) (*v1.PromotionTaskSpec, error) {
			return store.Task(ctx, b, cmd.Project, ref)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	return p, nil
}

func rejectIfNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	return err
}

// IsRejected reports whether err means a request can never succeed as sent.
func IsRejected(err error) bool { return errors.Is(err, ErrRejected) }
