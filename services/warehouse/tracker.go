package warehouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"go.opentelemetry.io/otel/trace"
	"slices"
	"sync"
	"time"

	cbackoff "github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/service"
)

// tracker is the warehouse service's state: every known Warehouse and when it is due.
type tracker struct {
	service.Deps
	opts    Options
	metrics *metrics

	mu      sync.Mutex
	entries map[string]*entry // by bus.Key(project, name)
	busy    int               // discoveries running
	wake    chan struct{}
	running sync.WaitGroup
}

// entry is one Warehouse as the service tracks it.
type entry struct {
	project, name string
	wh            v1.Warehouse
	spec          string // digest of wh.Spec
	status        v1.WarehouseStatus
	due           time.Time
	running       bool
	rerun         bool      // asked for again while running
	failures      int       // consecutive failed discoveries
	polledAt      time.Time // last discovery of every subscription in full
	refreshes     []*refreshRequest
}

// refreshRequest is a refresh command waiting for a discovery to run for it.
type refreshRequest struct {
	id   string
	done chan struct{}
	// at is when the command arrived: what discovery reads must be newer.
	at time.Time
	// artifact is the command's hint of what was pushed; nil when it names nothing.
	artifact *v1.RefreshArtifact
	// trace is the span of the refresh command, which the discovery continues.
	trace trace.SpanContext
}

func newTracker(opts Options, d service.Deps, m *metrics) *tracker {
	return &tracker{Deps: d, opts: opts, entries: map[string]*entry{}, wake: make(chan struct{}, 1), metrics: m}
}

func (s *tracker) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// wait returns once every discovery started has finished.
func (s *tracker) wait() { s.running.Wait() }

// specDigest identifies a spec, so a changed spec is noticed across restarts.
func specDigest(spec v1.WarehouseSpec) string {
	b, _ := json.Marshal(spec)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// upsert records the Warehouse stored under project and name. A new Warehouse is due at once
// unless its recorded status shows a discovery of this spec within its interval; a changed
// spec is due at once.
func (s *tracker) upsert(ctx context.Context, project string, wh v1.Warehouse) {
	key := bus.Key(project, wh.Metadata.Name)
	spec := specDigest(wh.Spec)
	s.mu.Lock()
	e, ok := s.entries[key]
	s.mu.Unlock()
	if !ok {
		st := s.storedStatus(ctx, project, wh)
		e = &entry{project: project, name: wh.Metadata.Name, status: st, due: time.Now()}
		if st.ObservedSpec == spec && len(st.Errors) == 0 && st.DiscoveredArtifacts != nil && st.DiscoveredArtifacts.DiscoveredAt != nil {
			e.due = st.DiscoveredArtifacts.DiscoveredAt.Add(s.interval(wh.Spec))
			e.polledAt = *st.DiscoveredArtifacts.DiscoveredAt
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.entries[key]; ok {
		e = cur // added meanwhile by a refresh
	} else {
		s.entries[key] = e
	}
	changed := e.spec != "" && e.spec != spec
	e.wh, e.spec = wh, spec
	if changed {
		e.failures = 0
		s.dueNow(e)
	}
	s.poke()
}

// storedStatus reads the status recorded for wh, unless it was recorded before wh was
// created: then it is a deleted Warehouse's of the same name, whose deletion the service did
// not see (it was down while the Warehouse was deleted and applied again, and the watch
// delivers only the newest resource), and it is dropped so wh discovers afresh
// (docs/resources.md, "Deleting resources"). The comparison is of the gateway's clock
// (creationTimestamp) with the NATS server's (the entry's time).
func (s *tracker) storedStatus(ctx context.Context, project string, wh v1.Warehouse) v1.WarehouseStatus {
	key := bus.Key(project, wh.Metadata.Name)
	var st v1.WarehouseStatus
	var e jetstream.KeyValueEntry
	err := s.Bus.Retry(ctx, func(ctx context.Context) (err error) { e, err = s.Bus.Warehouses.Get(ctx, key); return err })
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return st
	case err != nil:
		s.Log.Warn("cannot read warehouse status; discovering again", "project", project, "warehouse", wh.Metadata.Name, "err", err)
		return st
	}
	if created := wh.Metadata.CreationTimestamp; created != nil && e.Created().Before(*created) {
		s.Log.Info("dropping the status of a deleted warehouse of the same name", "project", project, "warehouse", wh.Metadata.Name)
		if err := s.Bus.Warehouses.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil {
			s.Log.Warn("cannot delete stale warehouse status", "project", project, "warehouse", wh.Metadata.Name, "err", err)
		}
		return st
	}
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		s.Log.Warn("cannot decode warehouse status; discovering again", "project", project, "warehouse", wh.Metadata.Name, "err", err)
		return v1.WarehouseStatus{}
	}
	return st
}

// remove forgets a deleted Warehouse and its recorded status.
func (s *tracker) remove(ctx context.Context, project, name string) {
	key := bus.Key(project, name)
	s.mu.Lock()
	e, ok := s.entries[key]
	delete(s.entries, key)
	s.mu.Unlock()
	if ok {
		for _, r := range e.refreshes {
			close(r.done)
		}
	}
	if err := s.Bus.Warehouses.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		s.Log.Warn("cannot delete warehouse status", "project", project, "warehouse", name, "err", err)
	}
}

// dueNow makes e run as soon as a worker is free, or again right after its running discovery.
// s.mu must be held.
func (s *tracker) dueNow(e *entry) {
	if e.running {
		e.rerun = true
		return
	}
	e.due = time.Now()
}

// interval is a spec's effective discovery period: its interval (default 5m), at least
// MinInterval.
func (s *tracker) interval(spec v1.WarehouseSpec) time.Duration {
	d, err := time.ParseDuration(spec.Interval)
	if err != nil || d <= 0 {
		d = 5 * time.Minute
	}
	return max(d, s.opts.MinInterval)
}

// loop starts the discoveries that are due, as workers allow, until ctx ends.
func (s *tracker) loop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := s.dispatch(ctx)
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// dispatch starts due discoveries, most overdue first, while workers are free, and returns
// when the next one is due.
func (s *tracker) dispatch(ctx context.Context) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	next := now.Add(time.Hour)
	var due []*entry
	for _, e := range s.entries {
		switch {
		case e.running:
		case !e.due.After(now):
			due = append(due, e)
		case e.due.Before(next):
			next = e.due
		}
	}
	slices.SortFunc(due, func(a, b *entry) int { return a.due.Compare(b.due) })
	for _, e := range due {
		if s.busy >= s.opts.Workers {
			break // a finishing discovery wakes the loop
		}
		s.busy++
		e.running, e.rerun = true, false
		j := job{project: e.project, wh: e.wh, spec: e.spec, status: e.status, refreshes: e.refreshes, polledAt: e.polledAt}
		e.refreshes = nil
		s.running.Add(1)
		go func() {
			defer s.running.Done()
			st, full, err := s.reconcile(ctx, j)
			if gone := s.finish(j, st, full, err); gone {
				// Deleted while discovering: drop the status just written.
				_ = s.Bus.Warehouses.Delete(context.WithoutCancel(ctx), bus.Key(j.project, j.wh.Metadata.Name))
			}
		}()
	}
	return next
}

// finish records a discovery's outcome and schedules the next: an interval after the last
// full discovery, or after a backoff that grows with consecutive failures (at most the
// interval). A discovery served from webhook hints does not delay the next poll. It reports
// whether the Warehouse was deleted meanwhile.
func (s *tracker) finish(j job, st v1.WarehouseStatus, full bool, err error) (gone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.poke()
	s.busy--
	for _, r := range j.refreshes {
		close(r.done)
	}
	e, ok := s.entries[bus.Key(j.project, j.wh.Metadata.Name)]
	if !ok {
		return true
	}
	e.running = false
	e.status = st
	interval := s.interval(j.wh.Spec)
	switch {
	case err != nil:
		e.failures++
		e.due = time.Now().Add(backoff(e.failures, interval))
	case full:
		e.failures = 0
		e.polledAt = time.Now()
		e.due = e.polledAt.Add(interval)
	default:
		e.failures = 0
		e.due = e.polledAt.Add(interval)
	}
	if e.rerun {
		e.rerun = false
		e.due = time.Now()
	}
	return false
}

// Retry delays after failed discoveries.
const (
	retryBase = 5 * time.Second
	retryMax  = 5 * time.Minute
)

// backoff is the delay before retrying after the n-th consecutive failure: 5s doubling up to
// 5m (cenkalti/backoff's exponential schedule, without jitter), and never more than
// interval, so a failing Warehouse is retried at the latest when it would have been
// discovered anyway.
func backoff(n int, interval time.Duration) time.Duration {
	b := &cbackoff.ExponentialBackOff{InitialInterval: retryBase, Multiplier: 2, MaxInterval: retryMax}
	b.Reset()
	d := retryBase
	for range min(n, retrySteps) { // past retrySteps it stays at retryMax
		d = b.NextBackOff()
	}
	return min(d, interval)
}

// retrySteps is how many failures take backoff from retryBase to retryMax.
const retrySteps = 8
