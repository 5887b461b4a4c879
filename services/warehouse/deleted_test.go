package warehouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/warehouse"
)

// applyCreated stores a Warehouse as dray apply does when it creates one: with the time it
// was created.
func applyCreated(t *testing.T, b *bus.Bus, name string, spec v1.WarehouseSpec) {
	t.Helper()
	now := time.Now().UTC()
	wh := v1.Warehouse{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindWarehouse},
		Metadata: v1.ObjectMeta{Name: name, Namespace: project, CreationTimestamp: &now},
		Spec:     spec,
	}
	data, err := json.Marshal(&wh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Resources.Put(t.Context(), bus.ResourceKey(project, v1.KindWarehouse, name), data); err != nil {
		t.Fatal(err)
	}
}

// TestDeletedWarehouseStartsClean: a deleted Warehouse's discovery status goes, and a
// Warehouse applied again under its name discovers afresh, even when the service was down
// while it was deleted and applied again (it then sees only the new resource, and the old
// status, discovered under the same spec, would put its discovery off by an interval).
func TestDeletedWarehouseStartsClean(t *testing.T) {
	git := gittest.NewServer(t)
	url := git.Repo(t, "cfg", map[string]string{"app.yaml": "v: 1\n"})
	ns := bustest.Start(t)
	b := ns.Connect(t)
	run := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		d := service.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bus: b, Metrics: prometheus.NewRegistry()}
		go func() { done <- warehouse.Run(ctx, warehouse.Options{}, d) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v, want nil after its context ended", err)
			}
		}
	}
	stop := run()
	spec := v1.WarehouseSpec{Interval: "1h", Subscriptions: []v1.RepoSubscription{{Git: &v1.GitSubscription{RepoURL: url}}}}
	applyCreated(t, b, "wh", spec)
	first := waitStatus(t, b, "wh", "FreightCreated=True", hasCondition(warehouse.ConditionFreightCreated, "True", warehouse.ReasonCreated))

	key := bus.ResourceKey(project, v1.KindWarehouse, "wh")
	if err := b.Resources.Delete(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	waitGone(t, b, "wh")

	// Applied again while the service runs: discovered afresh.
	applyCreated(t, b, "wh", spec)
	again := waitStatus(t, b, "wh", "a discovery after the first", func(st v1.WarehouseStatus) bool {
		return st.DiscoveredArtifacts != nil && st.DiscoveredArtifacts.DiscoveredAt.After(*first.DiscoveredArtifacts.DiscoveredAt)
	})

	// Deleted and applied again while the service is down: the old status is not taken over.
	stop()
	if err := b.Resources.Delete(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	applyCreated(t, b, "wh", spec)
	t.Cleanup(run())
	waitStatus(t, b, "wh", "a discovery after the restart", func(st v1.WarehouseStatus) bool {
		return st.DiscoveredArtifacts != nil && st.DiscoveredArtifacts.DiscoveredAt.After(*again.DiscoveredArtifacts.DiscoveredAt)
	})
}

// waitGone waits until a Warehouse has no recorded status.
func waitGone(t *testing.T, b *bus.Bus, name string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		_, err := b.Warehouses.Get(t.Context(), bus.Key(project, name))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("warehouse %s: status still recorded %s after its deletion (%v)", name, wait, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
