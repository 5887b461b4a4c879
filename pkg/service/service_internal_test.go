package service

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sync"
	"testing"

	"github.com/drayhq/dray/pkg/bustest"
)

type noFlags struct{}

func (noFlags) BindFlags(*flag.FlagSet) {}
func (noFlags) Validate() error         { return nil }

// lockedBuffer is a bytes.Buffer safe to log to from the service goroutine.
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

// TestHealthOnLoopbackByDefault: a service started with no --http-addr serves /healthz on
// loopback only, and one given :port on every interface.
func TestHealthOnLoopbackByDefault(t *testing.T) {
	t.Setenv("DRAY_HTTP_ADDR", "")
	ns := bustest.Start(t)
	for _, tt := range []struct {
		name     string
		args     []string
		loopback bool
	}{
		{"default", nil, true},
		{"explicit", []string{"--http-addr", ":0"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var opts Options
			if err := flags("test", &opts, noFlags{}).Parse(append([]string{"--nats-url", ns.ClientURL()}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			logs := &lockedBuffer{}
			log := slog.New(slog.NewTextHandler(logs, nil))
			err := serve(t.Context(), "test", &opts, log, func(ctx context.Context, d Deps) error {
				m := regexp.MustCompile(`msg="serving health and metrics" addr=(\S+)`).FindStringSubmatch(logs.String())
				if m == nil {
					t.Fatalf("no health address logged:\n%s", logs)
				}
				host, port, err := net.SplitHostPort(m[1])
				if err != nil {
					t.Fatal(err)
				}
				if ip := net.ParseIP(host); ip.IsLoopback() != tt.loopback {
					t.Errorf("health served on %s; loopback = %t, want %t", m[1], ip.IsLoopback(), tt.loopback)
				}
				res, err := http.Get("http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz")
				if err != nil {
					t.Fatalf("GET /healthz: %v", err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("GET /healthz = %s", res.Status)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("serve() = %v", err)
			}
		})
	}
}
