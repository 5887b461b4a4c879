package httpstep_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps/httpstep"
)

// loopback is a plain HTTP server on 127.0.0.1 that counts its requests, as the gateway or
// NATS monitoring would answer on this host.
type loopback struct {
	*httptest.Server
	hits atomic.Int64
	port string
}

func newLoopback(t *testing.T) *loopback {
	t.Helper()
	l := &loopback{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.hits.Add(1)
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(l.Close)
	u, _ := url.Parse(l.URL)
	l.port = u.Port()
	return l
}

// TestPrivateAddresses: a request to a service on this host's loopback fails, whether the
// URL names the address, a name that resolves to it, or a redirect leads there, unless the
// project's allowlist names it; the error says which host and how to allow it.
func TestPrivateAddresses(t *testing.T) {
	target := newLoopback(t)
	other := newLoopback(t)
	front := newServer(t) // TLS, on loopback, with /redirect?to=
	tests := []struct {
		name    string
		url     string
		allowed map[string][]string
		want    result
		wantMsg []string
	}{
		{
			name: "loopback address without an allowlist",
			url:  target.URL,
			want: result{Status: "Failed", Reason: httpstep.ReasonPrivateAddress, Terminal: true},
			wantMsg: []string{"connections to private addresses are refused: 127.0.0.1 is a loopback address",
				`project "kargo-demo"`, `listing "127.0.0.1:` + target.port + `"`, "--http-allowed-hosts"},
		},
		{
			name:    "a name that resolves to loopback",
			url:     "http://localhost:" + target.port,
			want:    result{Status: "Failed", Reason: httpstep.ReasonPrivateAddress, Terminal: true},
			wantMsg: []string{"localhost resolves to", "a loopback address", `listing "localhost:` + target.port + `"`},
		},
		{
			name:    "IPv4-mapped IPv6 form of loopback",
			url:     "http://[::ffff:127.0.0.1]:" + target.port,
			want:    result{Status: "Failed", Reason: httpstep.ReasonPrivateAddress, Terminal: true},
			wantMsg: []string{"resolves to 127.0.0.1, a loopback address"},
		},
		{
			name:    "the unspecified address reaches this host",
			url:     "http://0.0.0.0:" + target.port,
			want:    result{Status: "Failed", Reason: httpstep.ReasonPrivateAddress, Terminal: true},
			wantMsg: []string{"0.0.0.0 is an unspecified address"},
		},
		{
			name:    "* allows every host but no private address",
			url:     target.URL,
			allowed: map[string][]string{"kargo-demo": {"*"}},
			want:    result{Status: "Failed", Reason: httpstep.ReasonPrivateAddress, Terminal: true},
		},
		{
			name:    "the allowlist names another port",
			url:     target.URL,
			allowed: map[string][]string{"kargo-demo": {"*", "127.0.0.1:" + other.port}},
			want:    result{Status: "Failed", Reason: httpstep.ReasonPrivateAddress, Terminal: true},
		},
		{
			name:    "a redirect from an allowed server to a name on loopback",
			url:     front.URL + "/redirect?to=" + url.QueryEscape("http://localhost:"+target.port+"/"),
			allowed: allowing(front.URL),
			want:    result{Status: "Failed", Reason: httpstep.ReasonPrivateAddress, Terminal: true},
			wantMsg: []string{"localhost resolves to"},
		},
		{
			name:    "allowed by address and port",
			url:     target.URL,
			allowed: map[string][]string{"kargo-demo": {"127.0.0.1:" + target.port}},
			want:    result{Status: "Succeeded"},
		},
		{
			name:    "allowed by CIDR",
			url:     target.URL,
			allowed: map[string][]string{"*": {"127.0.0.0/8"}},
			want:    result{Status: "Succeeded"},
		},
		{
			name:    "allowed by the host name that resolves to it",
			url:     "http://localhost:" + target.port,
			allowed: map[string][]string{"kargo-demo": {"localhost:" + target.port}},
			want:    result{Status: "Succeeded"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := target.hits.Load()
			o := front.trusted()
			o.AllowedHosts = tt.allowed
			got, msg := run(t, httpstep.New(o), newContext(t, map[string]any{"url": tt.url, "successExpression": "true"}, nil))
			got.Outputs = nil
			if !cmp.Equal(got, tt.want) {
				t.Errorf("Run() = %+v, want %+v (message %q)", got, tt.want, msg)
			}
			for _, part := range tt.wantMsg {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q does not contain %q", msg, part)
				}
			}
			hits := target.hits.Load() - before
			if want := map[bool]int64{true: 1, false: 0}[tt.want.Status == "Succeeded"]; hits != want {
				t.Errorf("the loopback server got %d requests, want %d", hits, want)
			}
		})
	}
}

// TestDialRefusesSpecialAddresses: every kind of address that leads to this host, its
// private networks or a metadata service is refused before a connection is made, unless
// named.
func TestDialRefusesSpecialAddresses(t *testing.T) {
	tests := []struct {
		addr string
		want error
	}{
		{"127.0.0.53", httpstep.ErrPrivateAddress},
		{"::1", httpstep.ErrPrivateAddress},
		{"0.0.0.0", httpstep.ErrPrivateAddress},
		{"::", httpstep.ErrPrivateAddress},
		{"10.1.2.3", httpstep.ErrPrivateAddress},
		{"172.16.0.1", httpstep.ErrPrivateAddress},
		{"192.168.1.1", httpstep.ErrPrivateAddress},
		{"100.64.0.1", httpstep.ErrPrivateAddress},
		{"fd00::1", httpstep.ErrPrivateAddress},
		{"::ffff:10.0.0.1", httpstep.ErrPrivateAddress},
		{"::ffff:127.0.0.1", httpstep.ErrPrivateAddress},
		{"64:ff9b::7f00:1", httpstep.ErrPrivateAddress},
		{"169.254.169.254", httpstep.ErrLinkLocal},
		{"fe80::1", httpstep.ErrLinkLocal},
		{"::ffff:169.254.169.254", httpstep.ErrLinkLocal},
	}
	for _, tt := range tests {
		address := net.JoinHostPort(tt.addr, "25")
		_, err := httpstep.ClientOptions{}.Dial(t.Context(), "p", "smtp", address)
		if !errors.Is(err, tt.want) {
			t.Errorf("Dial(%s) = %v, want %v", address, err, tt.want)
		}
		if refused := httpstep.Refused(err); refused == nil {
			t.Errorf("Refused(Dial(%s)) = nil, want a step error", address)
		}
	}
	// Named by a CIDR, the dial goes ahead (and fails on its own: nothing listens there).
	named := httpstep.ClientOptions{AllowedHosts: map[string][]string{"p": {"127.0.0.0/8"}}}
	if _, err := named.Dial(t.Context(), "p", "smtp", "127.0.0.53:1"); errors.Is(err, httpstep.ErrPrivateAddress) {
		t.Errorf("Dial with 127.0.0.0/8 allowed = %v, want no refusal", err)
	}
}
