package executorhttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/service"
	executorhttp "github.com/drayhq/dray/services/executor-http"
)

// flaky is a webhook receiver that fails its first `failures` requests with 503 and records
// the bodies of the requests it accepts.
type flaky struct {
	mu       sync.Mutex
	failures int
	calls    int
	accepted []string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failures {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	f.accepted = append(f.accepted, string(b))
}

func (f *flaky) state() (calls int, accepted []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, append([]string(nil), f.accepted...)
}

// router stores an EventRouter as the gateway does.
func (w *world) router(r *v1.EventRouter) {
	w.t.Helper()
	r.TypeMeta = v1.TypeMeta{APIVersion: v1.EEGroupVersion, Kind: v1.KindEventRouter}
	b, err := json.Marshal(r)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.bus.Resources.Put(w.t.Context(), bus.ResourceKey(r.Metadata.Namespace, v1.KindEventRouter, r.Metadata.Name), b); err != nil {
		w.t.Fatal(err)
	}
}

// notifier starts the http executor's Notifier with fast retries, and returns its registry.
func (w *world) notifier(tries uint) *prometheus.Registry {
	w.t.Helper()
	reg := prometheus.NewRegistry()
	n, err := executorhttp.NewNotifier(executorhttp.Options{AllowedHosts: map[string][]string{"kargo-demo": {"127.0.0.1"}}},
		service.Deps{Bus: w.bus, Secrets: w.secrets, Metrics: reg})
	if err != nil {
		w.t.Fatal(err)
	}
	n.Tries, n.Interval = tries, 10*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	w.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			w.t.Errorf("notifier: %v", err)
		}
	})
	return reg
}

func (w *world) publish(id, eventType string, data v1.PromotionEvent) {
	w.t.Helper()
	if err := w.bus.PublishEvent(w.t.Context(), "kargo-demo", eventType, id, data.Promotion, data); err != nil {
		w.t.Fatal(err)
	}
}

// eventually waits for cond, failing the test after a minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func counter(reg *prometheus.Registry, result string) float64 {
	families, _ := reg.Gather()
	for _, f := range families {
		if f.GetName() != "dray_notifications_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestEventRouterDeliversOnceAfterRetries: a promotion.failed event in prod reaches the
// webhook channel of a Kargo EventRouter after the receiver failed twice — exactly one
// accepted delivery, with the rendered message — while events of other Stages and types do
// not; the same event seen again (a redelivery) is not sent again.
func TestEventRouterDeliversOnceAfterRetries(t *testing.T) {
	w := newWorld(t)
	rcv := &flaky{failures: 2}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	w.channel("kargo-demo", v1.KindMessageChannel, "ops-hook", "ops-hook", &v1.WebhookChannel{})
	w.secret("kargo-demo", "ops-hook", map[string]string{"url": srv.URL + "/hook"})
	w.router(&v1.EventRouter{Metadata: v1.ObjectMeta{Name: "prod-failures", Namespace: "kargo-demo"}, Spec: v1.EventRouterSpec{
		Types:    []string{"PromotionFailed"},
		When:     "event.stageName == 'prod'",
		Channels: []v1.EventRouterChannel{{Kind: v1.KindMessageChannel, Name: "ops-hook"}},
		Output:   "${{ event.promotion }} to ${{ event.stage }} failed: ${{ event.message }}",
	}})
	reg := w.notifier(5)
	w.publish("dev-failed", v1.TypePromotionFailed, v1.PromotionEvent{Project: "kargo-demo", Stage: "dev", Promotion: "dev.1", Phase: "Failed", Message: "no"})
	w.publish("prod-succeeded", v1.TypePromotionSucceeded, v1.PromotionEvent{Project: "kargo-demo", Stage: "prod", Promotion: "prod.0", Phase: "Succeeded"})
	w.publish("prod-failed", v1.TypePromotionFailed, v1.PromotionEvent{Project: "kargo-demo", Stage: "prod", Promotion: "prod.1", Phase: "Failed", Message: "git-push rejected"})
	eventually(t, "one accepted delivery", func() bool { _, acc := rcv.state(); return len(acc) > 0 })

	// The same event again, as after a crash before the ack: another message, same event ID.
	ev, err := bus.NewEvent(v1.TypePromotionFailed, "prod-failed", "prod.1", v1.PromotionEvent{Project: "kargo-demo", Stage: "prod", Promotion: "prod.1", Phase: "Failed", Message: "git-push rejected"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.bus.Publish(t.Context(), bus.EventSubject("kargo-demo", v1.TypePromotionFailed), "prod-failed-again", ev); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the redelivery to be recognised", func() bool { return counter(reg, "duplicate") == 1 })

	calls, accepted := rcv.state()
	if calls != 3 || len(accepted) != 1 || accepted[0] != "prod.1 to prod failed: git-push rejected" {
		t.Errorf("receiver: %d calls, accepted %q; want 3 calls (two refused) and one delivery of the prod failure", calls, accepted)
	}
	if got := counter(reg, "sent"); got != 1 {
		t.Errorf("dray_notifications_total{result=sent} = %v, want 1", got)
	}
}

// TestEventRouterFailureIsAnnounced: a channel that keeps failing does not hold the event
// forever: after its tries the failure is counted and announced as notification.failed,
// naming the router, the channel and the event, without the channel's URL.
func TestEventRouterFailureIsAnnounced(t *testing.T) {
	w := newWorld(t)
	rcv := &flaky{failures: 1000}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	w.channel("kargo-demo", v1.KindMessageChannel, "ops-hook", "ops-hook", &v1.WebhookChannel{})
	w.secret("kargo-demo", "ops-hook", map[string]string{"url": srv.URL + "/secret-path"})
	w.router(&v1.EventRouter{Metadata: v1.ObjectMeta{Name: "all-failures", Namespace: "kargo-demo"}, Spec: v1.EventRouterSpec{
		Types:    []string{"promotion.failed"},
		Channels: []v1.EventRouterChannel{{Kind: v1.KindMessageChannel, Name: "ops-hook"}},
	}})
	sub, err := w.bus.Conn.SubscribeSync(bus.EventSubject("kargo-demo", v1.TypeNotificationFailed))
	if err != nil {
		t.Fatal(err)
	}
	reg := w.notifier(3)
	w.publish("prod-failed", v1.TypePromotionFailed, v1.PromotionEvent{Project: "kargo-demo", Stage: "prod", Promotion: "prod.1", Phase: "Failed"})
	msg, err := sub.NextMsg(time.Minute)
	if err != nil {
		t.Fatalf("no notification.failed event: %v", err)
	}
	var ev v1.Event
	var data v1.NotificationEvent
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Router != "all-failures" || data.Channel != "MessageChannel/ops-hook" || data.Event != "prod-failed" || data.Attempts != 3 {
		t.Errorf("notification.failed = %+v, want router all-failures, channel MessageChannel/ops-hook, event prod-failed, 3 attempts", data)
	}
	if calls, _ := rcv.state(); calls != 3 {
		t.Errorf("receiver got %d calls, want 3 tries", calls)
	}
	if got := string(msg.Data); strings.Contains(got, srv.URL) || strings.Contains(got, "secret-path") {
		t.Errorf("notification.failed event quotes the channel's URL: %s", got)
	}
	eventually(t, "the failure to be counted", func() bool { return counter(reg, "failed") == 1 })
}
