package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// dray probe is the compose healthcheck of the distroless image: ready is 2xx, anything else
// (a 503 while NATS is away, nothing listening) fails with the status in the error.
func TestProbe(t *testing.T) {
	var notReady atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if notReady.Load() {
			http.Error(w, "not connected to NATS", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	}))
	defer srv.Close()
	if out, err := dray(t, "http://127.0.0.1:1", "probe", srv.URL+"/readyz"); err != nil {
		t.Fatalf("probe of a ready service: %v\n%s", err, out)
	}
	notReady.Store(true)
	_, err := dray(t, "http://127.0.0.1:1", "probe", srv.URL+"/readyz")
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "not connected to NATS") {
		t.Fatalf("probe of a service that is not ready: got %v, want the 503 and its reason", err)
	}
	srv.Close()
	if _, err := dray(t, "http://127.0.0.1:1", "probe", srv.URL+"/readyz"); err == nil {
		t.Fatal("probe of nothing listening: want an error")
	}
}
