// Package bustest starts a real, embedded nats-server with JetStream on a test's temp
// directory, and connects buses to it.
package bustest

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/drayhq/dray/pkg/bus"
)

// Server is an embedded nats-server for one test.
type Server struct {
	*server.Server
}

// Start starts a nats-server with JetStream in t.TempDir() on a free loopback port; it is shut
// down when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ns, err := bus.StartEmbedded(bus.EmbeddedOptions{Dir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return &Server{Server: ns}
}

// Connect opens a new connection to the server and declares the layout; both are closed when
// the test ends.
func (s *Server) Connect(t testing.TB) *bus.Bus {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("connect to embedded NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	b, err := bus.New(t.Context(), nc, bus.Options{})
	if err != nil {
		t.Fatalf("declare NATS layout: %v", err)
	}
	return b
}
