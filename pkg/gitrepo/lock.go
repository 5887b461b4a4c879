package gitrepo

import (
	"context"
	"sync"
)

// pushLocks serialises pushes to the same repository branch within the process, as the
// reference does. It is process-wide on purpose: two steps (or two executors in `dray up`)
// pushing the same branch must take turns whatever Repo they hold.
var pushLocks = &keyedMutex{held: map[string]*keyedEntry{}}

type keyedMutex struct {
	mu   sync.Mutex
	held map[string]*keyedEntry
}

type keyedEntry struct {
	ch   chan struct{} // holds a token while locked
	refs int
}

// lock waits until key is free or ctx ends, and returns the unlock function.
func (m *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	m.mu.Lock()
	e := m.held[key]
	if e == nil {
		e = &keyedEntry{ch: make(chan struct{}, 1)}
		m.held[key] = e
	}
	e.refs++
	m.mu.Unlock()

	release := func() {
		m.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(m.held, key)
		}
		m.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
