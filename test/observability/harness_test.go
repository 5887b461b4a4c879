package observability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"go.opentelemetry.io/otel/trace"

	"github.com/drayhq/dray/cmd/dray/allinone"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
)

const (
	project   = "obs"
	stageName = "dev"
	// wait bounds how long the test waits for the services; it is not a timing assertion.
	wait = 90 * time.Second
)

// noopStep does nothing, in the executor "obs".
type noopStep struct{}

func (noopStep) Info() steps.Info { return steps.Info{Name: "noop", Executor: "obs", ReadOnly: true} }
func (noopStep) Run(context.Context, *steps.Context) (steps.Result, error) {
	return steps.Result{}, nil
}

// lockedBuffer is a bytes.Buffer that every service may log to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// harness is dray up in this process (every service, embedded NATS), an image registry its
// Warehouse discovers, and the admin's client and bus.
type harness struct {
	in     *allinone.Instance
	bus    *bus.Bus
	client *client.Client
	logs   *lockedBuffer
}

// start runs Dray with tp recording every service's spans (nil: none), JSON logs into
// h.logs, a Warehouse app on a registry holding app:1.0.0, and a Stage dev of two noop steps.
func start(t testing.TB, tp trace.TracerProvider) *harness {
	t.Helper()
	ctx := t.Context()
	reg := httptest.NewServer(registry.New(registry.Logger(stdlog.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(host + "/app:1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}

	noop, err := steps.NewRegistry(noopStep{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{logs: &lockedBuffer{}}
	log := slog.New(service.WithTraceIDs(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	h.in, err = allinone.Start(ctx, allinone.Options{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", NATSPort: -1, Log: log, TracerProvider: tp,
		Executors: []allinone.Executor{{Name: "obs", Steps: noop}},
		Route: func(uses string) (string, bool) {
			if uses == "noop" {
				return "obs", true
			}
			return steps.ExecutorFor(uses)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.in.Stop)
	nc, err := h.in.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if h.bus, err = bus.New(ctx, nc, bus.Options{}); err != nil {
		t.Fatal(err)
	}
	h.client = client.New(h.in.URL, client.WithToken(h.in.AdminToken))

	origin := v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "app"}
	h.put(t, v1.KindWarehouse, "app", &v1.Warehouse{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindWarehouse},
		Metadata: v1.ObjectMeta{Name: "app", Namespace: project},
		Spec: v1.WarehouseSpec{Interval: "1h", Subscriptions: []v1.RepoSubscription{
			{Image: &v1.ImageSubscription{RepoURL: host + "/app"}},
		}},
	})
	h.put(t, v1.KindStage, stageName, &v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: stageName, Namespace: project},
		Spec: v1.StageSpec{
			RequestedFreight: []v1.FreightRequest{{Origin: origin, Sources: v1.FreightSources{Direct: true}}},
			PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
				{Uses: "noop", As: "first"}, {Uses: "noop", As: "second"},
			}}},
		},
	})
	return h
}

func (h *harness) put(t testing.TB, kind, name string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.bus.Resources.Put(t.Context(), bus.ResourceKey(project, kind, name), data); err != nil {
		t.Fatal(err)
	}
}

// freight waits for the Warehouse's first Freight and returns its name.
func (h *harness) freight(t testing.TB) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		fs, err := h.client.Freight(t.Context(), project)
		if err == nil && len(fs) > 0 {
			return fs[0].Metadata.Name
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the Warehouse made no Freight within %s:\n%s", wait, h.logs)
	return ""
}

// promote promotes f into the Stage through the API and waits for the Promotion to succeed.
func (h *harness) promote(t *testing.T, f string) *v1.Promotion {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	res, err := h.client.Promote(ctx, &v1.PromoteCommand{Project: project, Stage: stageName, Freight: f})
	if err != nil {
		t.Fatalf("Promote: %v", err)
	}
	p, err := h.client.WaitPromotion(ctx, project, res.Promotion, nil)
	if err != nil {
		t.Fatalf("WaitPromotion(%s): %v\n%s", res.Promotion, err, h.logs)
	}
	if p.Status.Phase != v1.PhaseSucceeded {
		t.Fatalf("promotion %s ended %s: %s", p.Metadata.Name, p.Status.Phase, p.Status.Message)
	}
	return p
}

// post sends body to the gateway's path and returns the status code.
func (h *harness) post(t *testing.T, path string, body []byte) int {
	t.Helper()
	res, err := http.Post(h.in.URL+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
