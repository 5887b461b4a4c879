package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/token"
	"github.com/drayhq/dray/services/gateway"
)

// browse GETs u as a browser navigating (Accept: text/html) with tok as bearer token.
func browse(t *testing.T, tok, u string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// TestPagesWhenEmptyOrNATSDown: a project with no Stages shows a page saying so and how to
// add one; once NATS is down, a page is an HTML page saying Dray cannot answer and why, not
// a JSON error or a wait for its reads to time out.
func TestPagesWhenEmptyOrNATSDown(t *testing.T) {
	ns := bustest.Start(t)
	nc, err := nats.Connect(ns.ClientURL(), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	b, err := bus.New(t.Context(), nc, bus.Options{Timeout: 2 * time.Second, RetryFor: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := token.NewStore(b.Tokens).Create(t.Context(), v1.APIToken{Name: "test-admin", SystemAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- gateway.Run(t.Context(), gateway.Options{Addr: "127.0.0.1:0", Ready: ready}, service.Deps{Log: slog.New(slog.DiscardHandler), Bus: b})
	}()
	t.Cleanup(func() { <-done })
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("gateway: %v", err)
	}
	applyUntilOK(t, base, tok, "apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata: {name: empty}\n")

	code, ctype, body := browse(t, tok, base+"/projects/empty")
	if code != http.StatusOK || !strings.Contains(body, "No Stages in this project") {
		t.Errorf("project without Stages: %d %s, want a page saying it has no Stages\n%s", code, ctype, body)
	}

	ns.Shutdown()
	ns.WaitForShutdown()
	for _, page := range []string{"/", "/projects/empty", "/projects/empty/freight"} {
		code, ctype, body := browse(t, tok, base+page)
		if code != http.StatusServiceUnavailable || !strings.HasPrefix(ctype, "text/html") ||
			!strings.Contains(body, "Dray cannot answer right now") || !strings.Contains(body, "is NATS up?") || !strings.Contains(body, "the gateway is not connected to NATS") {
			t.Errorf("%s with NATS down: %d %s, want a 503 page saying Dray cannot answer as the gateway is not connected to NATS\n%s", page, code, ctype, body)
		}
	}
}
