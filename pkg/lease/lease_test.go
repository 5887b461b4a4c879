package lease_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/lease"
)

// bucket opens a bucket like dray-locks but with a TTL of ttl, on a connection of its own,
// as another replica would have.
func bucket(t *testing.T, srv *bustest.Server, ttl time.Duration) jetstream.KeyValue {
	t.Helper()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateOrUpdateKeyValue(t.Context(), jetstream.KeyValueConfig{
		Bucket: "test-locks", History: 1, TTL: ttl, LimitMarkerTTL: time.Second, Storage: jetstream.MemoryStorage,
	})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// TestExclusive: replicas, each with its own connection and Leases, take turns; never do two
// hold the lease at once, and every one gets it.
func TestExclusive(t *testing.T) {
	srv := bustest.Start(t)
	kv := srv.Connect(t).Locks
	const replicas, rounds = 4, 5
	var holders, maxHolders, total atomic.Int32
	var wg sync.WaitGroup
	for i := range replicas {
		l := lease.New(kv, lease.WithHolder("replica-"+string(rune('a'+i))))
		wg.Go(func() {
			for range rounds {
				release, err := l.Acquire(t.Context(), "push.abc")
				if err != nil {
					t.Errorf("Acquire() = %v", err)
					return
				}
				n := holders.Add(1)
				for m := maxHolders.Load(); n > m && !maxHolders.CompareAndSwap(m, n); m = maxHolders.Load() {
				}
				total.Add(1)
				holders.Add(-1)
				release()
				release() // twice is harmless
			}
		})
	}
	wg.Wait()
	if got := maxHolders.Load(); got != 1 {
		t.Errorf("at most %d holders at once, want 1", got)
	}
	if got := total.Load(); got != replicas*rounds {
		t.Errorf("%d leases taken, want %d", got, replicas*rounds)
	}
	if _, err := kv.Get(t.Context(), "push.abc"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("after the last release, Get() = %v, want ErrKeyNotFound", err)
	}
}

// TestOtherKeysIndependent: a lease on one key does not hold up another key.
func TestOtherKeysIndependent(t *testing.T) {
	kv := bustest.Start(t).Connect(t).Locks
	l := lease.New(kv)
	release, err := l.Acquire(t.Context(), "push.one")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	other, err := l.Acquire(ctx, "push.two")
	if err != nil {
		t.Fatalf("Acquire(other key) while one is held = %v", err)
	}
	other()
}

// TestWaitEndsWithContext: a waiter whose ctx ends gives up with its error and leaves the
// holder's lease alone.
func TestWaitEndsWithContext(t *testing.T) {
	srv := bustest.Start(t)
	kv := srv.Connect(t).Locks
	release, err := lease.New(kv, lease.WithHolder("a")).Acquire(t.Context(), "push.k")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := lease.New(srv.Connect(t).Locks, lease.WithHolder("b")).Acquire(ctx, "push.k")
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire() with a cancelled ctx = %v, want context.Canceled", err)
	}
	if _, err := kv.Get(t.Context(), "push.k"); err != nil {
		t.Errorf("holder's lease after the waiter gave up: Get() = %v, want it still there", err)
	}
}

// TestCrashedHolderExpires: a lease whose holder died (it was created and never renewed nor
// given back) passes to a waiter: when the bucket's TTL removes it (the waiter hears of it
// from the expiry marker), or, should the bucket keep it, once its recorded expiry passed.
func TestCrashedHolderExpires(t *testing.T) {
	tests := []struct {
		name, value string
		bucketTTL   time.Duration
	}{
		{"bucket TTL", `{"holder":"crashed","expires":"2999-01-01T00:00:00Z"}`, 2 * time.Second},
		{"recorded expiry", `{"holder":"crashed","expires":"2000-01-01T00:00:00Z"}`, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := bucket(t, bustest.Start(t), tt.bucketTTL)
			if _, err := kv.Create(t.Context(), "push.k", []byte(tt.value)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			release, err := lease.New(kv, lease.WithTTL(2*time.Second)).Acquire(ctx, "push.k")
			if err != nil {
				t.Fatalf("Acquire() of a crashed holder's lease = %v, want it once expired", err)
			}
			release()
		})
	}
}

// TestHolderRenews: a live holder keeps its lease past the TTL; a waiter gets it only after
// release.
func TestHolderRenews(t *testing.T) {
	srv := bustest.Start(t)
	const ttl = 1500 * time.Millisecond
	kv := bucket(t, srv, ttl)
	release, err := lease.New(kv, lease.WithTTL(ttl)).Acquire(t.Context(), "push.k")
	if err != nil {
		t.Fatal(err)
	}
	waiter := lease.New(bucket(t, srv, ttl), lease.WithTTL(ttl))
	ctx, cancel := context.WithTimeout(t.Context(), 3*ttl)
	defer cancel()
	if _, err := waiter.Acquire(ctx, "push.k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire() while the holder renews = %v, want it to wait out its ctx", err)
	}
	release()
	got, err := waiter.Acquire(t.Context(), "push.k")
	if err != nil {
		t.Fatalf("Acquire() after release = %v", err)
	}
	got()
}

// TestExclusiveOnCluster: replicas on a 3-node cluster with 3 replicas of the bucket, each
// connected to its own node, take turns on one lease many times; each hands it on the moment
// it is given back, so Create often finds a delete a replica still shows while another holder
// has already taken the lease. No Acquire fails, and never do two hold the lease at once.
func TestExclusiveOnCluster(t *testing.T) {
	c := bustest.StartCluster(t, 3)
	c.Connect(t) // declares the layout with 3 replicas
	const replicas, rounds = 6, 15
	var holders, maxHolders, total atomic.Int32
	var wg sync.WaitGroup
	for i := range replicas {
		nc, err := nats.Connect(c.NodeURL(i%3), nats.IgnoreDiscoveredServers())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		kv, err := js.KeyValue(t.Context(), bus.BucketLocks)
		if err != nil {
			t.Fatal(err)
		}
		l := lease.New(kv, lease.WithHolder("replica-"+string(rune('a'+i))))
		wg.Go(func() {
			for range rounds {
				release, err := l.Acquire(t.Context(), "push.abc")
				if err != nil {
					t.Errorf("Acquire() = %v", err)
					return
				}
				n := holders.Add(1)
				for m := maxHolders.Load(); n > m && !maxHolders.CompareAndSwap(m, n); m = maxHolders.Load() {
				}
				total.Add(1)
				holders.Add(-1)
				release()
			}
		})
	}
	wg.Wait()
	if got := maxHolders.Load(); got != 1 {
		t.Errorf("at most %d holders at once, want 1", got)
	}
	if got := total.Load(); got != replicas*rounds {
		t.Errorf("%d leases taken, want %d", got, replicas*rounds)
	}
}
