package gateway

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// TestRevokeThroughTheAPIClosesNATSConnections: on a nats-server configured as dray nats
// config prints it, a gateway with --nats-system-nkey closes a token's NATS connection when
// the token is revoked through the API; its reconnect is refused, and it gets no more events.
func TestRevokeThroughTheAPIClosesNATSConnections(t *testing.T) {
	seeds := t.TempDir()
	var users bus.Users
	for _, role := range []string{bus.RoleGateway, bus.RoleSystem, bus.RoleAdmin} {
		kp, err := bus.EnsureSeed(bus.SeedFile(seeds, role))
		if err != nil {
			t.Fatal(err)
		}
		if err := users.Add(role, kp); err != nil {
			t.Fatal(err)
		}
	}
	issuer, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	if err := users.UseCallout(issuer); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(seeds, "nats.conf")
	f, err := os.Create(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := users.WriteServerConfig(f, filepath.Join(t.TempDir(), "js")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.NoSigs, opts.NoLog = "127.0.0.1", -1, true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	open := func(role string) *bus.Bus {
		o := bus.Options{URL: ns.ClientURL(), NKeyFile: bus.SeedFile(seeds, role), Timeout: 5 * time.Second}
		nc, err := o.Connect("dray-" + role)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		b, err := bus.New(t.Context(), nc, o)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	admin := open(bus.RoleAdmin) // declares the layout
	base, _, a := testGatewayOn(t, open(bus.RoleGateway))
	if err := serveCallout(t.Context(), Options{CalloutIssuer: issuer, NATSSystemNKey: bus.SeedFile(seeds, bus.RoleSystem)}, a.Deps, a.auth); err != nil {
		t.Fatal(err)
	}

	tok := newToken(t, a, v1.APIToken{Name: "ci", Project: "demo", Role: "developer"})
	closed := make(chan struct{})
	nc, err := nats.Connect(ns.ClientURL(), nats.Token(tok), nats.CustomInboxPrefix(bus.TokenInboxPrefix("demo", "ci")),
		nats.MaxReconnects(3), nats.ReconnectWait(10*time.Millisecond), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatalf("the token cannot connect: %v", err)
	}
	defer nc.Close()
	events := make(chan *nats.Msg, 64)
	if _, err := nc.ChanSubscribe("dray.events.demo.>", events); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	if code, e := send(t, http.MethodDelete, base+"/api/v1/projects/demo/tokens/ci", ""); code != http.StatusOK && code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", code, e.Error)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the revoked token's NATS connection is still open after 10s")
	}
	if !errors.Is(nc.LastError(), nats.ErrAuthorization) {
		t.Errorf("the revoked token's reconnect: %v, want an authorization error", nc.LastError())
	}
	for len(events) > 0 {
		<-events
	}
	if err := admin.Conn.Publish("dray.events.demo.stage.paused", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := admin.Conn.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-events:
		t.Fatal("the revoked token still gets events")
	case <-time.After(100 * time.Millisecond):
	}
}
