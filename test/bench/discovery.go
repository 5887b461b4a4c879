package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/gateway"
	"github.com/drayhq/dray/services/warehouse"
)

// discoveryConfig sizes the discovery benchmark.
type discoveryConfig struct {
	pushes, warehouses, repos, tags int
}

// sizeFlags size the discovery benchmark from the command line.
type sizeFlags struct {
	pushes, warehouses, repos *int
}

var discoveryFlags = sizeFlags{
	flag.Int("pushes", 50, "registry pushes announced by webhook, for discovery latency"),
	flag.Int("warehouses", 1000, "Warehouses in the polling cycle"),
	flag.Int("repos", 50, "image repositories the polling Warehouses watch (10 tags each)"),
}

func (f sizeFlags) config() discoveryConfig {
	return discoveryConfig{pushes: *f.pushes, warehouses: *f.warehouses, repos: *f.repos, tags: 10}
}

// DiscoveryFigures are what the discovery benchmark measured.
type DiscoveryFigures struct {
	// WebhookPushes images were pushed, each announced by a Distribution webhook;
	// WebhookFreight* is the time from the finished push to its freight.created event.
	WebhookPushes       int     `json:"webhookPushes"`
	WebhookFreightP50Ms float64 `json:"webhookFreightP50Ms"`
	WebhookFreightP99Ms float64 `json:"webhookFreightP99Ms"`
	// WebhookTagListings is how many times the registry's tags were listed for those
	// webhooks; the target is 0.
	WebhookTagListings int `json:"webhookTagListings"`
	// PollDiscoveryMs is one polling cycle of PollWarehouses Manual Warehouses watching
	// PollRepositories repositories (10 tags each), from applying them to every status
	// recorded: discovery alone, with PollRegistryRequests requests and PollTagListings
	// listings. PollCycleMs is the same with Automatic Warehouses, to the last one's
	// freight.created: discovery and one new Freight per Warehouse.
	PollWarehouses       int     `json:"pollWarehouses"`
	PollRepositories     int     `json:"pollRepositories"`
	PollDiscoveryMs      float64 `json:"pollDiscoveryMs"`
	PollCycleMs          float64 `json:"pollCycleMs"`
	PollRegistryRequests int     `json:"pollRegistryRequests"`
	PollTagListings      int     `json:"pollTagListings"`
}

func reportDiscovery(f *DiscoveryFigures) {
	fmt.Printf("push + webhook -> freight.created p50 %8.3f ms   p99 %8.3f ms   (%d pushes, %d tag listings)\n",
		f.WebhookFreightP50Ms, f.WebhookFreightP99Ms, f.WebhookPushes, f.WebhookTagListings)
	fmt.Printf("polling cycle, discovery only    %8.1f ms   (%d Warehouses, %d repositories, %d registry requests, %d tag listings)\n",
		f.PollDiscoveryMs, f.PollWarehouses, f.PollRepositories, f.PollRegistryRequests, f.PollTagListings)
	fmt.Printf("polling cycle, with new Freight  %8.1f ms   (%d Warehouses, each creating one Freight)\n", f.PollCycleMs, f.PollWarehouses)
}

// discovery measures, on its own embedded NATS with the warehouse service and the gateway
// against go-containerregistry's registry on loopback: (a) the time from a finished registry
// push, announced by a Distribution webhook, to its freight.created event; (b) one polling
// cycle (every Warehouse discovered and its Freight made) over many Warehouses watching a
// few repositories. The registry rate limit is lifted: the figures are Dray's, not the
// limiter's.
func discovery(ctx context.Context, log *slog.Logger, c discoveryConfig, f *DiscoveryFigures) error {
	dir, err := os.MkdirTemp("", "dray-bench-discovery-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var requests, listings atomic.Int64
	regHandler := registry.New(registry.Logger(stdlog.New(io.Discard, "", 0)))
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			listings.Add(1)
		}
		regHandler.ServeHTTP(w, r)
	}))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")

	ns, err := bus.StartEmbedded(bus.EmbeddedOptions{Dir: filepath.Join(dir, "nats"), Port: -1})
	if err != nil {
		return err
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	ready := make(chan string, 1)
	connect := func(svc string) (*bus.Bus, *secret.Store, error) {
		nc, err := nats.Connect("", nats.InProcessServer(ns), nats.Name("bench-"+svc))
		if err != nil {
			return nil, nil, err
		}
		b, err := bus.New(ctx, nc, bus.Options{})
		if err != nil {
			return nil, nil, err
		}
		st, err := secret.NewStore(b.Secrets, key)
		return b, st, err
	}
	for svc, run := range map[string]func(context.Context, service.Deps) error{
		"warehouse": func(ctx context.Context, d service.Deps) error {
			disc := warehouse.NewRemoteDiscoverer(warehouse.WithCredentials(d.Secrets), warehouse.WithRegistryRate(1e6, 1e6))
			return warehouse.Run(ctx, warehouse.Options{Discoverer: disc}, d)
		},
		"gateway": func(ctx context.Context, d service.Deps) error {
			return gateway.Run(ctx, gateway.Options{Addr: "127.0.0.1:0", Ready: ready}, d)
		},
	} {
		b, st, err := connect(svc)
		if err != nil {
			return err
		}
		wg.Go(func() {
			d := service.Deps{Log: log.With("service", svc), Bus: b, Metrics: prometheus.NewRegistry(), Secrets: st}
			if err := run(ctx, d); err != nil && ctx.Err() == nil {
				log.Error("service stopped", "service", svc, "err", err)
			}
		})
	}
	var gatewayURL string
	select {
	case addr := <-ready:
		gatewayURL = "http://" + addr
	case <-time.After(30 * time.Second):
		return fmt.Errorf("gateway did not listen within 30s")
	}
	b, secrets, err := connect("driver")
	if err != nil {
		return err
	}
	const dproject = "discovery"
	if _, err := secrets.Put(ctx, &v1.Secret{Metadata: v1.ObjectMeta{Name: "hook", Namespace: dproject}, StringData: map[string]string{"secret": "bench"}}); err != nil {
		return err
	}
	cfg := v1.ProjectConfig{Metadata: v1.ObjectMeta{Name: dproject, Namespace: dproject}, Spec: v1.ProjectConfigSpec{
		WebhookReceivers: []v1.WebhookReceiver{{Name: "registry", Distribution: &v1.WebhookReceiverConfig{SecretRef: v1.LocalObjectReference{Name: "hook"}}}},
	}}
	if err := putJSON(ctx, b, bus.ResourceKey(dproject, v1.KindProjectConfig, dproject), &cfg); err != nil {
		return err
	}
	hookURL := gatewayURL + gateway.WebhookPath(dproject, "registry", "bench")

	created := make(chan string, 4096)
	sub, err := b.Conn.Subscribe(bus.EventSubject(dproject, v1.TypeFreightCreated), func(m *nats.Msg) {
		var e v1.Event
		var data v1.FreightEvent
		if json.Unmarshal(m.Data, &e) == nil && json.Unmarshal(e.Data, &data) == nil {
			created <- data.Origin.Name
		}
	})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()

	// (a) push + webhook → freight.created.
	if _, err := pushImage(ctx, host, "latency/app", "1.0.0"); err != nil {
		return err
	}
	if err := putWarehouse(ctx, b, dproject, "latency", host+"/latency/app", ""); err != nil {
		return err
	}
	if err := waitCreated(ctx, created, 1); err != nil {
		return fmt.Errorf("first discovery: %w", err)
	}
	before := listings.Load()
	lat := make([]time.Duration, 0, c.pushes)
	for i := range c.pushes {
		tag := "1.1." + strconv.Itoa(i)
		digest, err := pushImage(ctx, host, "latency/app", tag)
		if err != nil {
			return err
		}
		start := time.Now()
		body, _ := json.Marshal(map[string]any{"events": []any{map[string]any{
			"action": "push", "request": map[string]any{"host": host},
			"target": map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "repository": "latency/app", "tag": tag, "digest": digest},
		}}})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hookURL, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer bench")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("webhook: %s", resp.Status)
		}
		if err := waitCreated(ctx, created, 1); err != nil {
			return fmt.Errorf("push %s: %w", tag, err)
		}
		lat = append(lat, time.Since(start))
	}
	f.WebhookPushes = c.pushes
	f.WebhookFreightP50Ms, f.WebhookFreightP99Ms = ms(percentile(lat, 50)), ms(percentile(lat, 99))
	f.WebhookTagListings = int(listings.Load() - before)

	// (b) one polling cycle over many Warehouses.
	for r := range c.repos {
		for t := range c.tags {
			if _, err := pushImage(ctx, host, "poll/app"+strconv.Itoa(r), "1.0."+strconv.Itoa(t)); err != nil {
				return err
			}
		}
	}
	// First Manual Warehouses (discovery alone), then Automatic ones (discovery and Freight).
	for _, policy := range []string{"Manual", "Automatic"} {
		prefix := "poll-" + strings.ToLower(policy) + "-"
		requests.Store(0)
		listings.Store(0)
		discovered := make(chan struct{}, c.warehouses)
		w, err := b.Warehouses.Watch(ctx, bus.Key(dproject, "*"), jetstream.UpdatesOnly())
		if err != nil {
			return err
		}
		go func() {
			seen := map[string]bool{}
			for e := range w.Updates() {
				if e != nil && strings.HasPrefix(e.Key(), dproject+"."+prefix) && !seen[e.Key()] {
					seen[e.Key()] = true
					discovered <- struct{}{}
				}
			}
		}()
		start := time.Now()
		for i := range c.warehouses {
			if err := putWarehouse(ctx, b, dproject, prefix+strconv.Itoa(i), host+"/poll/app"+strconv.Itoa(i%c.repos), policy); err != nil {
				return err
			}
		}
		err = waitCreated(ctx, discovered, c.warehouses)
		_ = w.Stop()
		if err != nil {
			return fmt.Errorf("polling cycle (%s): %w", policy, err)
		}
		if policy == "Manual" {
			f.PollDiscoveryMs = ms(time.Since(start))
			f.PollRegistryRequests = int(requests.Load())
			f.PollTagListings = int(listings.Load())
			continue
		}
		if err := waitCreated(ctx, created, c.warehouses); err != nil {
			return fmt.Errorf("polling cycle: %w", err)
		}
		f.PollCycleMs = ms(time.Since(start))
	}
	f.PollWarehouses, f.PollRepositories = c.warehouses, c.repos
	return nil
}

func waitCreated[T any](ctx context.Context, created <-chan T, n int) error {
	timeout := time.After(5 * time.Minute)
	for range n {
		select {
		case <-created:
		case <-timeout:
			return fmt.Errorf("no freight.created within 5m")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// pushImage writes a small random image as repo:tag and returns its digest.
func pushImage(ctx context.Context, host, repo, tag string) (string, error) {
	img, err := random.Image(64, 1)
	if err != nil {
		return "", err
	}
	ref, err := name.NewTag(host + "/" + repo + ":" + tag)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return "", err
	}
	d, err := img.Digest()
	return d.String(), err
}

func putWarehouse(ctx context.Context, b *bus.Bus, project, name, repo, policy string) error {
	return putJSON(ctx, b, bus.ResourceKey(project, v1.KindWarehouse, name), &v1.Warehouse{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindWarehouse},
		Metadata: v1.ObjectMeta{Name: name, Namespace: project},
		Spec: v1.WarehouseSpec{Interval: "1h", FreightCreationPolicy: policy, Subscriptions: []v1.RepoSubscription{
			{Image: &v1.ImageSubscription{RepoURL: repo, DiscoveryLimit: 5}},
		}},
	})
}

func putJSON(ctx context.Context, b *bus.Bus, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = b.Resources.Put(ctx, key, data)
	return err
}
