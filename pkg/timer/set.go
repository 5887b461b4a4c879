package timer

import (
	"context"
	"sync"
	"time"
)

// Set holds timers by key. Its functions run once Run runs, each in its own goroutine, with
// the context Run was given. Timers are not durable: a service that restarts finds its due
// work again at start. The zero Set is ready to use; it is safe for concurrent use.
type Set struct {
	mu     sync.Mutex
	timers map[string]*time.Timer
	due    chan func(context.Context)
	done   chan struct{}
	once   sync.Once
}

func (s *Set) init() {
	s.once.Do(func() {
		s.timers = map[string]*time.Timer{}
		s.due = make(chan func(context.Context))
		s.done = make(chan struct{})
	})
}

// At runs f at t, replacing the timer key had. A zero t sets nothing; a t that has passed
// runs f at once.
func (s *Set) At(key string, t time.Time, f func(ctx context.Context)) {
	if t.IsZero() {
		return
	}
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.timers[key]; old != nil {
		old.Stop()
	}
	s.timers[key] = time.AfterFunc(time.Until(t), func() {
		select {
		case s.due <- f:
		case <-s.done:
		}
	})
}

// Len reports how many timers the Set holds, fired or not.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.timers)
}

// Run runs each function when its time comes, with ctx, until ctx ends; then it stops every
// timer, and functions that fall due later never run.
func (s *Set) Run(ctx context.Context) {
	s.init()
	defer func() {
		close(s.done)
		s.mu.Lock()
		for _, t := range s.timers {
			t.Stop()
		}
		s.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-s.due:
			go f(ctx)
		}
	}
}
