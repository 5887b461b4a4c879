package bus

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// Follow hands each entry w delivers to apply, in order, from its own goroutine until ctx ends
// or the watch closes, and then stops w. It returns once the entries stored when the watch
// began have been handed over, so a caller starts from a complete view (or with ctx's error).
func Follow(ctx context.Context, w jetstream.KeyWatcher, apply func(jetstream.KeyValueEntry)) error {
	loaded := make(chan struct{})
	go func() {
		defer func() { _ = w.Stop() }()
		first := true
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil { // the end of what was stored when the watch began
					if first {
						first = false
						close(loaded)
					}
					continue
				}
				apply(e)
			}
		}
	}()
	select {
	case <-loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
