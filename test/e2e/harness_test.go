package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/freight"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/store"
)

// logger discards service logs unless DRAY_TEST_LOG is set.
func logger() *slog.Logger {
	if os.Getenv("DRAY_TEST_LOG") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startService runs one service on its own NATS connection, as a separate process would.
// The returned func stops it (like a crash: in-flight messages are not acknowledged).
func startService(t *testing.T, ns *bustest.Server, name string, run func(context.Context, service.Deps) error) (stop func()) {
	t.Helper()
	return startServiceAt(t, ns.ClientURL(), bus.Options{}, name, run)
}

// startServiceAt is startService for a service connected to url with the bus options o and
// the connection options opts, e.g. to one node of a cluster.
func startServiceAt(t *testing.T, url string, o bus.Options, name string, run func(context.Context, service.Deps) error, opts ...nats.Option) (stop func()) {
	t.Helper()
	nc, err := nats.Connect(url, append([]nats.Option{nats.Name("test-" + name)}, opts...)...)
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := bus.New(ctx, nc, o)
	if err != nil {
		t.Fatalf("declare layout for %s: %v", name, err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		d := service.Deps{Log: logger().With("service", name), Bus: b, Metrics: prometheus.NewRegistry()}
		if err := run(ctx, d); err != nil && ctx.Err() == nil {
			t.Errorf("service %s stopped: %v", name, err)
		}
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			nc.Close()
		})
	}
	t.Cleanup(stop)
	return stop
}

// putResource stores a resource as dray apply would.
func putResource(t *testing.T, b *bus.Bus, project, kind, name string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Resources.Put(t.Context(), bus.ResourceKey(project, kind, name), data); err != nil {
		t.Fatalf("store %s/%s: %v", kind, name, err)
	}
}

// putFreight stores a Freight under its content-derived name and returns the name.
// putProjectConfig stores the project's ProjectConfig with spec.
func putProjectConfig(t *testing.T, b *bus.Bus, spec v1.ProjectConfigSpec) {
	t.Helper()
	putResource(t, b, project, v1.KindProjectConfig, project, v1.ProjectConfig{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindProjectConfig},
		Metadata: v1.ObjectMeta{Name: project, Namespace: project},
		Spec:     spec,
	})
}

// autoPromoting is a ProjectConfig spec that switches auto-promotion on in the named Stages.
func autoPromoting(stages ...string) v1.ProjectConfigSpec {
	var policies []v1.PromotionPolicy
	for _, s := range stages {
		policies = append(policies, v1.PromotionPolicy{Stage: s, AutoPromotionEnabled: true})
	}
	return v1.ProjectConfigSpec{PromotionPolicies: policies}
}

func putFreight(t *testing.T, b *bus.Bus, project string, f *v1.Freight) string {
	t.Helper()
	f.Metadata.Name = freight.ID(f)
	f.Metadata.Namespace = project
	// As store.CreateFreight does: auto-promotion names its Promotion from the discovery
	// time, so evaluating twice creates one Promotion.
	now := time.Now().UTC()
	f.Metadata.CreationTimestamp = &now
	if f.DiscoveredAt == nil {
		f.DiscoveredAt = &now
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Freight.Put(t.Context(), bus.Key(project, f.Metadata.Name), data); err != nil {
		t.Fatalf("store freight: %v", err)
	}
	return f.Metadata.Name
}

// waitFinished waits for the project's only Promotion to finish and returns it.
func waitFinished(t *testing.T, b *bus.Bus, project string, within time.Duration) *v1.Promotion {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ps, err := store.List[v1.Promotion](t.Context(), b, b.Promotions, bus.Key(project, ">"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) > 1 {
			t.Fatalf("%d promotions exist, want 1", len(ps))
		}
		if len(ps) == 1 && ps[0].Status.Finished() {
			return &ps[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no promotion of project %s finished within %s", project, within)
	return nil
}

func listPromotions(t *testing.T, b *bus.Bus) ([]v1.Promotion, error) {
	return store.List[v1.Promotion](t.Context(), b, b.Promotions, bus.Key(project, ">"))
}

// events reads every event of a project stored in DRAY_EVENTS, in order.
func events(t *testing.T, b *bus.Bus, project string) []v1.Event {
	t.Helper()
	ctx := t.Context()
	cons, err := b.JS.OrderedConsumer(ctx, bus.StreamEvents, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"dray.events." + project + ".>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Event
	for n := info.NumPending; n > 0; {
		batch, err := cons.Fetch(int(n), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for msg := range batch.Messages() {
			var e v1.Event
			if err := json.Unmarshal(msg.Data(), &e); err != nil {
				t.Fatalf("decode event on %s: %v", msg.Subject(), err)
			}
			out = append(out, e)
			n--
		}
		if batch.Error() != nil {
			t.Fatal(batch.Error())
		}
	}
	return out
}

// countTypes counts events by type, and fails the test on a repeated ID.
func countTypes(t *testing.T, evs []v1.Event) map[string]int {
	t.Helper()
	seen := map[string]bool{}
	counts := map[string]int{}
	for _, e := range evs {
		if seen[e.ID] {
			t.Errorf("event %s (%s) stored twice", e.ID, e.Type)
		}
		seen[e.ID] = true
		counts[e.Type]++
	}
	return counts
}

// direct requests the Freight of Warehouse app straight from it.
var direct = []v1.FreightRequest{{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, Sources: v1.FreightSources{Direct: true}}}
