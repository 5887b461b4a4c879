package warehouse

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// flights shares the result of one piece of work between the Warehouses that need it at once
// or shortly after: callers with the same key wait for one run, and later callers reuse its
// result while it is younger than maxAge (0: for as long as it is kept) and not older than
// the time they give. Failed runs are not kept. It is safe for concurrent use.
type flights[T any] struct {
	maxAge time.Duration

	mu      sync.Mutex
	entries map[string]*flight[T]
}

type flight[T any] struct {
	done chan struct{}
	v    T
	err  error
	at   time.Time // when the run started
}

func newFlights[T any](maxAge time.Duration) *flights[T] {
	return &flights[T]{maxAge: maxAge, entries: map[string]*flight[T]{}}
}

// do returns the result under key, running fn when there is none in flight, or none started
// after notBefore and fresh.
func (f *flights[T]) do(ctx context.Context, key string, notBefore time.Time, fn func(context.Context) (T, error)) (T, error) {
	for {
		f.mu.Lock()
		e, ok := f.entries[key]
		if ok && !e.at.Before(notBefore) && (f.maxAge == 0 || time.Since(e.at) < f.maxAge) {
			f.mu.Unlock()
			select {
			case <-e.done:
			case <-ctx.Done():
				var zero T
				return zero, ctx.Err()
			}
			if e.err != nil && ctx.Err() == nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
				continue // the caller that ran it was cancelled, not this one: run again
			}
			return e.v, e.err
		}
		if len(f.entries) >= maxShared {
			clear(f.entries)
		}
		e = &flight[T]{done: make(chan struct{}), at: time.Now()}
		f.entries[key] = e
		f.mu.Unlock()

		e.v, e.err = fn(ctx)
		if e.err != nil {
			f.mu.Lock()
			if f.entries[key] == e {
				delete(f.entries, key)
			}
			f.mu.Unlock()
		}
		close(e.done)
		return e.v, e.err
	}
}

// forget drops the results whose keys start with prefix.
func (f *flights[T]) forget(prefix string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.entries {
		if strings.HasPrefix(k, prefix) {
			delete(f.entries, k)
		}
	}
}
