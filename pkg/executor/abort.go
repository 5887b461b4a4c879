package executor

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/nats-io/nats.go"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// errAborted is the cause of a step's cancellation when its Promotion is aborted.
var errAborted = errors.New("promotion aborted")

// running tracks the steps this executor runs, by promotion, so that an abort cancels them at
// once instead of letting them finish work nobody waits for. One subscription to
// promotion.aborted events serves every job; an abort it misses costs only the step's work,
// since the result of an aborted Promotion is never recorded.
type running struct {
	mu    sync.Mutex
	jobs  map[string]map[int]context.CancelCauseFunc
	count int
}

func newRunning() *running { return &running{jobs: map[string]map[int]context.CancelCauseFunc{}} }

// add registers a running step of promotion; the returned func unregisters it.
func (r *running) add(promotion string, cancel context.CancelCauseFunc) func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	id := r.count
	if r.jobs[promotion] == nil {
		r.jobs[promotion] = map[int]context.CancelCauseFunc{}
	}
	r.jobs[promotion][id] = cancel
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.jobs[promotion], id)
		if len(r.jobs[promotion]) == 0 {
			delete(r.jobs, promotion)
		}
	}
}

// onAborted cancels the running steps of the Promotion a promotion.aborted event names.
func (r *running) onAborted(msg *nats.Msg) {
	var data v1.PromotionEvent
	e, err := bus.DecodeEvent(msg.Data)
	if err != nil || json.Unmarshal(e.Data, &data) != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cancel := range r.jobs[data.Promotion] {
		cancel(errAborted)
	}
}
