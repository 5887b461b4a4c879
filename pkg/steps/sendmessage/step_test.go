package sendmessage_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/httpstep"
	"github.com/drayhq/dray/pkg/steps/sendmessage"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, sendmessage.Name, sendmessage.Config{})
}

// channels is a ChannelResolver over a map keyed by kind/name.
type channels map[string]*sendmessage.Channel

func (c channels) ResolveChannel(_ context.Context, _ string, ref sendmessage.ChannelRef) (*sendmessage.Channel, error) {
	ch, ok := c[ref.String()]
	if !ok {
		return nil, sendmessage.ErrChannelNotFound
	}
	return ch, nil
}

// request is what a test server received.
type request struct {
	Method, Path, ContentType, Authorization, Body string
}

// recorder starts a server that records its requests and answers with status.
func recorder(t *testing.T, status int, answer string) (*httptest.Server, func() []request) {
	t.Helper()
	var mu sync.Mutex
	var got []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(b)})
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []request {
		mu.Lock()
		defer mu.Unlock()
		return append([]request(nil), got...)
	}
}

func slack(url string) *sendmessage.Channel {
	return &sendmessage.Channel{
		Spec: v1.MessageChannelSpec{SecretRef: v1.LocalObjectReference{Name: "s"}, Slack: &v1.SlackChannel{}},
		Data: map[string]string{v1.MessageChannelKeySlackURL: url},
	}
}

func webhook(url, method, auth string) *sendmessage.Channel {
	return &sendmessage.Channel{
		Spec: v1.MessageChannelSpec{SecretRef: v1.LocalObjectReference{Name: "s"}, Webhook: &v1.WebhookChannel{Method: method}},
		Data: map[string]string{v1.MessageChannelKeyURL: url, v1.MessageChannelKeyAuthorization: auth},
	}
}

func run(t *testing.T, chs sendmessage.ChannelResolver, cfg map[string]any) (steps.Result, error) {
	t.Helper()
	return steptest.Run(t, sendmessage.New(sendmessage.Options{Channels: chs, ClientOptions: loopbackAllowed}), steptest.NewContext(t, cfg, nil))
}

func TestEncodings(t *testing.T) {
	tests := []struct {
		name    string
		webhook bool
		cfg     map[string]any
		want    request
	}{
		{
			name: "slack text with thread",
			cfg:  map[string]any{"message": "hello", "slack": map[string]any{"channelID": "C1", "threadTS": "1.2"}},
			want: request{"POST", "/services/T0/B0/hook-token", "application/json", "", `{"text":"hello","channel":"C1","thread_ts":"1.2"}`},
		},
		{
			name: "slack json payload as is",
			cfg:  map[string]any{"message": `{"blocks":[]}`, "encodingType": "json", "slack": map[string]any{"channelID": "ignored"}},
			want: request{"POST", "/services/T0/B0/hook-token", "application/json", "", `{"blocks":[]}`},
		},
		{
			name: "slack yaml payload as JSON",
			cfg:  map[string]any{"message": "text: hi\n", "encodingType": "yaml"},
			want: request{"POST", "/services/T0/B0/hook-token", "application/json", "", `{"text":"hi"}`},
		},
		{
			name: "webhook text", webhook: true,
			cfg:  map[string]any{"message": "plain"},
			want: request{"PUT", "/services/T0/B0/hook-token", "text/plain; charset=utf-8", "Bearer tok-secret", "plain"},
		},
		{
			name: "webhook xml", webhook: true,
			cfg:  map[string]any{"message": "<a/>", "encodingType": "xml"},
			want: request{"PUT", "/services/T0/B0/hook-token", "application/xml", "Bearer tok-secret", "<a/>"},
		},
		{
			name: "webhook yaml", webhook: true,
			cfg:  map[string]any{"message": "a: 1\n", "encodingType": "yaml"},
			want: request{"PUT", "/services/T0/B0/hook-token", "application/yaml", "Bearer tok-secret", "a: 1\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := recorder(t, http.StatusOK, "ok")
			ch := slack(srv.URL + "/services/T0/B0/hook-token")
			if tt.webhook {
				ch = webhook(srv.URL+"/services/T0/B0/hook-token", "PUT", "Bearer tok-secret")
			}
			tt.cfg["channel"] = map[string]any{"kind": "MessageChannel", "name": "c"}
			if _, err := run(t, channels{"MessageChannel/c": ch}, tt.cfg); err != nil {
				t.Fatalf("Run() = %v, want nil", err)
			}
			if diff := cmp.Diff([]request{tt.want}, got()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	srv, got := recorder(t, http.StatusOK, "ok")
	chs := channels{
		"MessageChannel/slack": slack(srv.URL + "/hook-token"),
		"MessageChannel/hook":  webhook(srv.URL+"/hook-token", "", ""),
		"MessageChannel/nourl": slack(""),
		"MessageChannel/bad":   slack("ftp://hook-token-host/x"),
	}
	tests := []struct {
		name, channel string
		cfg           map[string]any
		want          string
	}{
		{"xml to slack", "slack", map[string]any{"message": "<a/>", "encodingType": "xml"}, "status: Failed\nreason: UnsupportedEncoding\n"},
		{"slack json not an object", "slack", map[string]any{"message": "[1]", "encodingType": "json"}, "status: Failed\nreason: InvalidConfig\n"},
		{"webhook json not JSON", "hook", map[string]any{"message": "{", "encodingType": "json"}, "status: Failed\nreason: InvalidConfig\n"},
		{"no URL in the Secret", "nourl", map[string]any{"message": "m"}, "status: Errored\nreason: ChannelSecretNotFound\n"},
		{"not an http URL", "bad", map[string]any{"message": "m"}, "status: Errored\nreason: ChannelSecretNotFound\n"},
		{"missing channel", "gone", map[string]any{"message": "m"}, "status: Errored\nreason: ChannelNotFound\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg["channel"] = map[string]any{"kind": "MessageChannel", "name": tt.channel}
			res, err := run(t, chs, tt.cfg)
			o := steps.Classify(res, err)
			if got := "status: " + o.Status + "\nreason: " + o.Reason + "\n"; got != tt.want {
				t.Errorf("outcome = %q (%v), want %q", got, err, tt.want)
			}
			if strings.Contains(o.Message, "hook-token") {
				t.Errorf("message %q shows the channel's URL", o.Message)
			}
		})
	}
	if n := len(got()); n != 0 {
		t.Errorf("server got %d requests, want none", n)
	}
}

func TestNonSuccessIsRetried(t *testing.T) {
	srv, _ := recorder(t, http.StatusNotFound, "no_service: "+"/services/T0/B0/hook-token")
	chs := channels{"MessageChannel/c": webhook(srv.URL+"/services/T0/B0/hook-token?key=qv-secret", "", "Bearer tok-secret")}
	res, err := run(t, chs, map[string]any{"channel": map[string]any{"kind": "MessageChannel", "name": "c"}, "message": "m"})
	o := steps.Classify(res, err)
	if o.Status != "Errored" || o.Reason != sendmessage.ReasonHTTPStatus || o.Terminal {
		t.Errorf("outcome = %+v, want Errored %s, not terminal", o, sendmessage.ReasonHTTPStatus)
	}
	for _, secret := range []string{"hook-token", "qv-secret", "tok-secret", srv.URL} {
		if strings.Contains(o.Message, secret) {
			t.Errorf("message %q shows %q", o.Message, secret)
		}
	}
	if !strings.Contains(o.Message, "HTTP 404") {
		t.Errorf("message %q does not name the status", o.Message)
	}
}

func TestOutputs(t *testing.T) {
	srv, _ := recorder(t, http.StatusOK, "ok")
	chs := channels{"ClusterMessageChannel/c": slack(srv.URL), "MessageChannel/h": webhook(srv.URL, "", "")}
	res, err := run(t, chs, map[string]any{"channel": map[string]any{"kind": "ClusterMessageChannel", "name": "c"}, "message": "m"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"slack": map[string]any{"threadTS": ""}}, res.Outputs); diff != "" {
		t.Errorf("slack outputs mismatch (-want +got):\n%s", diff)
	}
	res, err = run(t, chs, map[string]any{"channel": map[string]any{"kind": "MessageChannel", "name": "h"}, "message": "m"})
	if err != nil || res.Outputs != nil {
		t.Errorf("webhook Run() = %v, %v, want no outputs", res.Outputs, err)
	}
}

func TestNoResolver(t *testing.T) {
	_, err := run(t, nil, map[string]any{"channel": map[string]any{"kind": "MessageChannel", "name": "c"}, "message": "m"})
	if !steps.IsTerminal(err) || !errors.Is(err, &steps.StepError{Reason: sendmessage.ReasonNoChannels}) {
		t.Errorf("Run(no resolver) = %v, want terminal %s", err, sendmessage.ReasonNoChannels)
	}
}

func TestSchemaRejects(t *testing.T) {
	for name, cfg := range map[string]map[string]any{
		"no channel":   {"message": "m"},
		"bad kind":     {"channel": map[string]any{"kind": "Secret", "name": "c"}, "message": "m"},
		"no message":   {"channel": map[string]any{"kind": "MessageChannel", "name": "c"}},
		"bad encoding": {"channel": map[string]any{"kind": "MessageChannel", "name": "c"}, "message": "m", "encodingType": "toml"},
	} {
		_, err := run(t, channels{}, cfg)
		if !errors.Is(err, steps.ErrInvalidConfig) || !steps.IsTerminal(err) {
			t.Errorf("%s: Run() = %v, want terminal ErrInvalidConfig", name, err)
		}
	}
}

// loopbackAllowed lets the tests' webhook and SMTP servers, on loopback, be reached: the
// allowlist names every public host and 127.0.0.0/8.
var loopbackAllowed = httpstep.ClientOptions{AllowedHosts: map[string][]string{"*": {"*", "127.0.0.0/8"}}}
