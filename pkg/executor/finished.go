package executor

import (
	"context"
	"encoding/json"

	"github.com/nats-io/nats.go"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/workspace"
)

// forgetter removes the local workspace copies of Promotions that ended: no step of theirs
// runs again, and without it every Promotion would leave its directory (often a clone) in the
// cache. One subscription to the end events serves every job; an event it misses leaves the
// copy to the Store's bound (workspace.MaxCached).
type forgetter struct {
	store *workspace.Store
	ended chan string
}

func newForgetter(store *workspace.Store) *forgetter {
	return &forgetter{store: store, ended: make(chan string, 1024)}
}

// onEvent queues the workspace of the Promotion an end event names. It never blocks the
// subscription: when the queue is full the copy is left to the bound.
func (f *forgetter) onEvent(msg *nats.Msg) {
	var data v1.PromotionEvent
	e, err := bus.DecodeEvent(msg.Data)
	if err != nil || json.Unmarshal(e.Data, &data) != nil || data.Promotion == "" {
		return
	}
	switch e.Type {
	case v1.TypePromotionSucceeded, v1.TypePromotionFailed, v1.TypePromotionErrored, v1.TypePromotionAborted:
	default:
		return
	}
	select {
	case f.ended <- data.Promotion:
	default:
	}
}

// run forgets queued workspaces until ctx ends.
func (f *forgetter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-f.ended:
			f.store.Forget(p)
		}
	}
}
