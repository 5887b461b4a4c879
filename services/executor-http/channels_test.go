package executorhttp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/sendmessage"
	"github.com/drayhq/dray/pkg/steps/steptest"
	executorhttp "github.com/drayhq/dray/services/executor-http"
)

// received is one request a stand-in server got.
type received struct {
	Method, Path, ContentType, Authorization string
	Body                                     map[string]any
}

// standIn starts a server standing in for a Slack incoming webhook or a generic webhook: it
// records each request, its body parsed as JSON, and answers with status.
func standIn(t *testing.T, status int) (*httptest.Server, func() []received) {
	t.Helper()
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := received{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization")}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &rec.Body); err != nil {
			t.Errorf("server: body %q is not JSON: %v", b, err)
		}
		mu.Lock()
		got = append(got, rec)
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

// world is a bus and a secret store on an embedded NATS server.
type world struct {
	t       *testing.T
	bus     *bus.Bus
	secrets *secret.Store
}

func newWorld(t *testing.T) *world {
	t.Helper()
	key, err := secret.EnsureKey(filepath.Join(t.TempDir(), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	b := bustest.Start(t).Connect(t)
	st, err := secret.NewStore(b.Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, bus: b, secrets: st}
}

// channel stores a channel as the gateway does: its JSON under <project>.<Kind>.<name>.
func (w *world) channel(project, kind, name, secretName string, webhook *v1.WebhookChannel) {
	w.t.Helper()
	spec := v1.MessageChannelSpec{SecretRef: v1.LocalObjectReference{Name: secretName}, Webhook: webhook}
	if webhook == nil {
		spec.Slack = &v1.SlackChannel{}
	}
	var obj any = &v1.MessageChannel{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: kind},
		Metadata: v1.ObjectMeta{Name: name, Namespace: project}, Spec: spec,
	}
	if kind == v1.KindClusterMessageChannel {
		obj = &v1.ClusterMessageChannel{
			TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: kind},
			Metadata: v1.ObjectMeta{Name: name}, Spec: spec,
		}
		project = ""
	}
	b, err := json.Marshal(obj)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.bus.Resources.Put(w.t.Context(), bus.ResourceKey(project, kind, name), b); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) secret(project, name string, data map[string]string) {
	w.t.Helper()
	s := &v1.Secret{
		TypeMeta: v1.TypeMeta{APIVersion: v1.CoreVersion, Kind: v1.KindSecret},
		Metadata: v1.ObjectMeta{Name: name, Namespace: project}, StringData: data,
	}
	if _, err := w.secrets.Put(w.t.Context(), s); err != nil {
		w.t.Fatal(err)
	}
}

// send runs send-message, as registered by the executor, in project kargo-demo.
func (w *world) send(cfg map[string]any) (steps.Result, error) {
	w.t.Helper()
	reg, err := executorhttp.StepsWith(executorhttp.Options{
		Channels: executorhttp.ChannelsOf(service.Deps{Bus: w.bus, Secrets: w.secrets}),
		// The webhook servers listen on loopback: the allowlist names it.
		AllowedHosts: map[string][]string{"kargo-demo": {"*", "127.0.0.1"}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	step, err := reg.Lookup(sendmessage.Name)
	if err != nil {
		w.t.Fatal(err)
	}
	return steptest.Run(w.t, step, steptest.NewContext(w.t, cfg, nil))
}

func TestSendMessageSlack(t *testing.T) {
	w := newWorld(t)
	srv, got := standIn(t, http.StatusOK)
	w.channel("kargo-demo", v1.KindMessageChannel, "releases", "slack-releases", nil)
	w.secret("kargo-demo", "slack-releases", map[string]string{"webhookURL": srv.URL + "/services/T0/B0/slack-token"})

	res, err := w.send(map[string]any{
		"channel": map[string]any{"kind": "MessageChannel", "name": "releases"},
		"message": "Promoted abc123 to prod",
		"slack":   map[string]any{"channelID": "C0123", "threadTS": "1718000000.000100"},
	})
	if err != nil {
		t.Fatalf("send() = %v, want nil", err)
	}
	want := []received{{
		Method: "POST", Path: "/services/T0/B0/slack-token", ContentType: "application/json",
		Body: map[string]any{"text": "Promoted abc123 to prod", "channel": "C0123", "thread_ts": "1718000000.000100"},
	}}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("Slack got (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"slack": map[string]any{"threadTS": "1718000000.000100"}}, res.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if strings.Contains(res.Message, "slack-token") || strings.Contains(res.Message, srv.URL) {
		t.Errorf("result message %q shows the webhook URL", res.Message)
	}
}

func TestSendMessageClusterWebhook(t *testing.T) {
	w := newWorld(t)
	srv, got := standIn(t, http.StatusAccepted)
	w.channel("", v1.KindClusterMessageChannel, "deploy-hook", "deploy-hook", &v1.WebhookChannel{Method: "PUT"})
	w.secret(v1.SharedProject, "deploy-hook", map[string]string{"url": srv.URL + "/hooks/deploy", "authorization": "Bearer tok-secret"})
	// A Secret of the same name in the project must not be used.
	w.secret("kargo-demo", "deploy-hook", map[string]string{"url": "http://wrong.invalid/"})

	res, err := w.send(map[string]any{
		"channel":      map[string]any{"kind": "ClusterMessageChannel", "name": "deploy-hook"},
		"message":      `{"stage":"prod","freight":"abc123"}`,
		"encodingType": "json",
	})
	if err != nil {
		t.Fatalf("send() = %v, want nil", err)
	}
	want := []received{{
		Method: "PUT", Path: "/hooks/deploy", ContentType: "application/json", Authorization: "Bearer tok-secret",
		Body: map[string]any{"stage": "prod", "freight": "abc123"},
	}}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("webhook got (-want +got):\n%s", diff)
	}
	if res.Outputs != nil {
		t.Errorf("outputs = %v, want none for a webhook", res.Outputs)
	}
}

func TestSendMessageErrors(t *testing.T) {
	w := newWorld(t)
	failing, got := standIn(t, http.StatusInternalServerError)
	w.channel("kargo-demo", v1.KindMessageChannel, "no-secret", "absent", nil)
	w.channel("kargo-demo", v1.KindMessageChannel, "failing", "failing", &v1.WebhookChannel{})
	w.secret("kargo-demo", "failing", map[string]string{"url": failing.URL + "/hooks/fail-token", "authorization": "Bearer tok-secret"})
	// A project's MessageChannel is not visible from another project.
	w.channel("other", v1.KindMessageChannel, "elsewhere", "failing", nil)

	tests := []struct {
		name, kind, channel, reason string
	}{
		{"missing channel", "MessageChannel", "nope", sendmessage.ReasonChannelNotFound},
		{"another project's channel", "MessageChannel", "elsewhere", sendmessage.ReasonChannelNotFound},
		{"missing cluster channel", "ClusterMessageChannel", "failing", sendmessage.ReasonChannelNotFound},
		{"missing secret", "MessageChannel", "no-secret", sendmessage.ReasonSecretNotFound},
		{"non-2xx", "MessageChannel", "failing", sendmessage.ReasonHTTPStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := w.send(map[string]any{"channel": map[string]any{"kind": tt.kind, "name": tt.channel}, "message": `{"a":1}`})
			o := steps.Classify(res, err)
			if o.Status != "Errored" || o.Terminal || o.Reason != tt.reason {
				t.Errorf("outcome = %+v, want Errored (retried) with reason %s", o, tt.reason)
			}
			for _, s := range []string{failing.URL, "fail-token", "tok-secret"} {
				if strings.Contains(o.Message, s) {
					t.Errorf("message %q shows %q", o.Message, s)
				}
			}
		})
	}
	if n := len(got()); n != 1 {
		t.Errorf("failing server got %d requests, want 1", n)
	}
}

func TestSendMessageWithoutSecretStore(t *testing.T) {
	w := newWorld(t)
	w.channel("kargo-demo", v1.KindMessageChannel, "c", "s", nil)
	ch := executorhttp.ChannelsOf(service.Deps{Bus: w.bus})
	_, err := ch.ResolveChannel(t.Context(), "kargo-demo", sendmessage.ChannelRef{Kind: v1.KindMessageChannel, Name: "c"})
	if err == nil || !strings.Contains(err.Error(), "without a secrets key") {
		t.Errorf("ResolveChannel(no secret store) = %v, want an error naming the missing secrets key", err)
	}
}
