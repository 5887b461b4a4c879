package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/callout"
)

// dray nats config prints a configuration a nats-server runs with, whose users are the seeds
// it keeps: each service opens the layout with its seed, and a project's credential reaches
// its own commands only.
func TestNATSConfig(t *testing.T) {
	seeds := t.TempDir()
	if _, err := dray(t, "http://127.0.0.1:1", "nats", "config"); err == nil {
		t.Fatal("dray nats config without --seeds-dir: want an error")
	}
	out, err := dray(t, "http://127.0.0.1:1", "nats", "config", "--seeds-dir", seeds, "--project", "shop", "--store-dir", filepath.Join(t.TempDir(), "js"))
	if err != nil {
		t.Fatalf("dray nats config: %v\n%s", err, out)
	}
	again, err := dray(t, "http://127.0.0.1:1", "nats", "config", "--seeds-dir", seeds, "--project", "shop", "--store-dir", "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(again) < 100 || again[len(again)-200:] != out[len(out)-200:] {
		t.Error("a second run with the same seeds printed other users")
	}
	fi, err := os.Stat(bus.SeedFile(seeds, "executor-git"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("seed file mode %v, want 0600", fi.Mode().Perm())
	}

	issuer, err := bus.ReadSeed(bus.CalloutSeedFile(seeds))
	if err != nil {
		t.Fatalf("the auth callout's seed is not kept: %v", err)
	}
	if pub, _ := issuer.PublicKey(); !strings.Contains(out, "auth_callout {\n    issuer: \""+pub+"\"") {
		t.Errorf("the configuration has no auth_callout naming the kept key %s:\n%s", pub, out)
	}

	xkey, err := bus.ReadSeed(bus.CalloutXKeyFile(seeds))
	if err != nil {
		t.Fatalf("the auth callout's xkey is not kept: %v", err)
	}
	if pub, _ := xkey.PublicKey(); !strings.Contains(out, "xkey: \""+pub+"\"") {
		t.Errorf("the auth_callout block has no xkey naming the kept key %s:\n%s", pub, out)
	}

	conf := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(conf, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("nats-server cannot load the printed configuration: %v\n%s", err, out)
	}
	if opts.AuthCallout == nil || len(opts.AuthCallout.AuthUsers) != len(opts.Nkeys) {
		t.Errorf("auth callout = %+v, want every user of the %d bypassing it", opts.AuthCallout, len(opts.Nkeys))
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
	for _, role := range []string{"admin", "state", "scheduler", "gateway", "warehouse", "executor-git", "executor-argocd"} {
		o := bus.Options{URL: ns.ClientURL(), NKeyFile: bus.SeedFile(seeds, role), Timeout: 5 * time.Second}
		nc, err := o.Connect("dray-" + role)
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		if _, err := bus.New(t.Context(), nc, o); err != nil {
			t.Errorf("%s cannot open the layout with its seed: %v", role, err)
		}
		nc.Close()
	}
	// The gateway's system user may close a client, and do nothing else in the system account.
	so := bus.Options{URL: ns.ClientURL(), NKeyFile: bus.SeedFile(seeds, bus.RoleSystem)}
	sys, err := so.Connect("dray-" + bus.RoleSystem)
	if err != nil {
		t.Fatalf("the system user cannot connect: %v", err)
	}
	defer sys.Close()
	if err := (callout.SystemKicker{Conn: sys}).Kick(t.Context(), ns.ID(), 1<<40); err != nil {
		t.Errorf("the system user cannot close clients: %v", err)
	}
	if _, err := sys.Request("$SYS.REQ.SERVER.PING.CONNZ", nil, 500*time.Millisecond); err == nil {
		t.Error("the system user may list the connections")
	}
	o := bus.Options{URL: ns.ClientURL(), NKeyFile: bus.SeedFile(seeds, "project-shop")}
	errs := make(chan error, 8)
	nc, err := o.Connect("ci", nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish("dray.cmd.other.promote._nkey", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("want a permissions violation, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("project shop's credential published another project's command")
	}
	if _, err := nats.Connect(ns.ClientURL(), nats.MaxReconnects(0)); err == nil {
		t.Fatal("a client without credentials connected")
	}
}

// --users-only prints the authorization block alone, which a configuration of one's own (the
// Helm chart's, with its own JetStream store and cluster) includes: the users it names are
// the seeds' and the server refuses a client without credentials.
func TestNATSConfigUsersOnly(t *testing.T) {
	seeds := t.TempDir()
	if out, err := dray(t, "http://127.0.0.1:1", "nats", "config", "--seeds-dir", seeds, "--users-only", "--store-dir", "x"); err == nil {
		t.Fatalf("--users-only with --store-dir: want an error, got\n%s", out)
	}
	out, err := dray(t, "http://127.0.0.1:1", "nats", "config", "--seeds-dir", seeds, "--users-only")
	if err != nil {
		t.Fatalf("dray nats config --users-only: %v\n%s", err, out)
	}
	if strings.Contains(out, "jetstream") {
		t.Errorf("--users-only printed a jetstream block:\n%s", out)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "auth.conf"), []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	own := fmt.Sprintf("jetstream { store_dir: %q }\ninclude ./auth.conf\n", filepath.Join(dir, "js"))
	if err := os.WriteFile(filepath.Join(dir, "nats.conf"), []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(filepath.Join(dir, "nats.conf"))
	if err != nil {
		t.Fatalf("nats-server cannot load a configuration that includes the block: %v\n%s", err, out)
	}
	if opts.StoreDir != filepath.Join(dir, "js") {
		t.Errorf("the included block changed store_dir to %q", opts.StoreDir)
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
	o := bus.Options{URL: ns.ClientURL(), NKeyFile: bus.SeedFile(seeds, "scheduler"), Timeout: 5 * time.Second}
	nc, err := o.Connect("dray-scheduler")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := bus.New(t.Context(), nc, o); err != nil {
		t.Errorf("the scheduler cannot open the layout with its seed: %v", err)
	}
	if _, err := nats.Connect(ns.ClientURL(), nats.MaxReconnects(0)); err == nil {
		t.Fatal("a client without credentials connected")
	}
}
