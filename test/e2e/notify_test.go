package e2e_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	executorhttp "github.com/drayhq/dray/services/executor-http"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// TestEventRouterPostsPromotionFailure: a Promotion that fails in prod is posted, through a
// Kargo EventRouter, to a webhook channel on loopback by the http executor, which retries
// after the receiver refuses twice: one delivery is accepted, with the rendered message.
func TestEventRouterPostsPromotionFailure(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	key, err := secret.EnsureKey(filepath.Join(t.TempDir(), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := secret.NewStore(b.Secrets, key)
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var calls int
	var accepted []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		accepted = append(accepted, string(body))
	}))
	defer hook.Close()

	putResource(t, b, "", v1.KindProject, project, v1.Project{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindProject}, Metadata: v1.ObjectMeta{Name: project},
	})
	prod := scanStage("prod", []v1.PromotionStep{{Uses: "fail", As: "gate", Config: map[string]any{"message": "smoke tests failed"}}})
	prod.Metadata.Labels = map[string]string{"tier": "critical"}
	putResource(t, b, project, v1.KindStage, "prod", prod)
	putResource(t, b, project, v1.KindMessageChannel, "ops-hook", v1.MessageChannel{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindMessageChannel},
		Metadata: v1.ObjectMeta{Name: "ops-hook", Namespace: project},
		Spec:     v1.MessageChannelSpec{SecretRef: v1.LocalObjectReference{Name: "ops-hook"}, Webhook: &v1.WebhookChannel{}},
	})
	if _, err := secrets.Put(t.Context(), scanSecret("ops-hook", "", map[string]string{"url": hook.URL + "/hook"})); err != nil {
		t.Fatal(err)
	}
	putResource(t, b, project, v1.KindEventRouter, "prod-failures", v1.EventRouter{
		TypeMeta: v1.TypeMeta{APIVersion: v1.EEGroupVersion, Kind: v1.KindEventRouter},
		Metadata: v1.ObjectMeta{Name: "prod-failures", Namespace: project},
		Spec: v1.EventRouterSpec{
			Types:    []string{"PromotionFailed", "PromotionErrored"},
			When:     "event.stageName == 'prod' && event.stageLabels.tier == 'critical'",
			Channels: []v1.EventRouterChannel{{Kind: v1.KindMessageChannel, Name: "ops-hook"}},
			Output:   "${{ event.type }}: ${{ event.promotion }} to ${{ event.stage }}: ${{ event.message }}",
		},
	})
	f := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1.2.0"}},
	})

	log := logger()
	start := func(name string, run func(context.Context, service.Deps) error) {
		startServiceWith(t, ns, name, slog.New(log.Handler()), key, run)
	}
	start("state", func(ctx context.Context, d service.Deps) error { return state.Run(ctx, state.Options{}, d) })
	start("scheduler", func(ctx context.Context, d service.Deps) error { return scheduler.Run(ctx, scheduler.Options{}, d) })
	start("executor-http", func(ctx context.Context, d service.Deps) error {
		return executorhttp.Run(ctx, executorhttp.Options{AllowedHosts: map[string][]string{project: {"127.0.0.1"}}}, d)
	})

	publishPromote(t, ns, "prod", f)
	p := waitStage(t, b, "prod", time.Minute)
	if p.Status.Phase != v1.PhaseFailed {
		t.Fatalf("prod promotion = %s (%s), want Failed", p.Status.Phase, p.Status.Message)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n := len(accepted)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook accepted nothing (%d calls)", calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "promotion.failed: " + p.Metadata.Name + " to prod: " + p.Status.Message
	if calls != 3 || len(accepted) != 1 || accepted[0] != want {
		t.Errorf("webhook: %d calls, accepted %q; want 3 calls (two refused) and one delivery %q", calls, accepted, want)
	}
}
