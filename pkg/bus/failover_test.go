package bus_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestPublishRetriesThroughLeaderElection publishes steadily on a 3-node cluster while the
// node that leads the commands stream is lost: no publish fails, and each is stored once.
func TestPublishRetriesThroughLeaderElection(t *testing.T) {
	c := bustest.StartCluster(t, 3)
	b := c.Connect(t)
	leader := c.StreamLeader(bus.StreamCommands)
	if leader < 0 {
		t.Fatalf("%s has no leader", bus.StreamCommands)
	}
	const n = 40
	var failed []error
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			id := fmt.Sprintf("cmd-%d", i)
			if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), id, id); err != nil {
				failed = append(failed, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	time.Sleep(300 * time.Millisecond) // some publishes before the loss, most after
	c.Stop(leader)
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d of %d publishes failed while a leader was elected; first: %v", len(failed), n, failed[0])
	}
	if got := streamMsgs(t, b, bus.StreamCommands); got != n {
		t.Errorf("%s holds %d messages, want %d", bus.StreamCommands, got, n)
	}
	c.Start(leader)
}

// TestGetLatestJSON reads a replicated bucket from its leader: the latest revision, and not
// found for a key never written or deleted.
func TestGetLatestJSON(t *testing.T) {
	c := bustest.StartCluster(t, 3)
	b := c.Connect(t)
	ctx := t.Context()
	for i := range 3 {
		if _, err := b.Promotions.Put(ctx, "demo.p1", fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	var v struct{ N int }
	rev, err := b.GetLatestJSON(ctx, b.Promotions, "demo.p1", &v)
	if err != nil || v.N != 2 || rev != 3 {
		t.Errorf("GetLatestJSON(demo.p1) = %+v, rev %d, %v; want n 2, rev 3", v, rev, err)
	}
	if _, err := b.GetLatestJSON(ctx, b.Promotions, "demo.none", &v); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("GetLatestJSON(demo.none) = %v, want ErrKeyNotFound", err)
	}
	if err := b.Promotions.Delete(ctx, "demo.p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetLatestJSON(ctx, b.Promotions, "demo.p1", &v); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("GetLatestJSON(deleted demo.p1) = %v, want ErrKeyNotFound", err)
	}
}
