package bus_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bus"
)

// authServer starts a nats-server from the configuration WriteServerConfig prints (as an
// operator would run it) with users for every service, the executors git and noop, the
// admin and the outside clients of projects a and b.
type authServer struct {
	ns    *server.Server
	users *bus.Users
}

func startAuthServer(t *testing.T) *authServer {
	t.Helper()
	roles := append(bus.ServiceRoles([]string{"git", "noop"}), bus.RoleAdmin, bus.ProjectRole("a"), bus.ProjectRole("b"))
	users, err := bus.NewUsers(roles...)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "nats.conf")
	f, err := os.Create(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := users.WriteServerConfig(f, filepath.Join(dir, "js")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("the printed configuration does not load: %v", err)
	}
	opts.Host, opts.Port, opts.NoSigs, opts.NoLog = "127.0.0.1", -1, true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return &authServer{ns: ns, users: users}
}

// conn connects as role and returns the connection with the errors the server reports to it
// (permissions violations).
func (s *authServer) conn(t *testing.T, role string) (*nats.Conn, chan error) {
	t.Helper()
	auth, err := s.users.ConnectOptions(role)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 64)
	nc, err := nats.Connect(s.ns.ClientURL(), append(auth, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		errs <- err
	}))...)
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	t.Cleanup(nc.Close)
	return nc, errs
}

// bus opens the layout as role, as its service does at start.
func (s *authServer) bus(t *testing.T, role string) (*bus.Bus, chan error) {
	t.Helper()
	nc, errs := s.conn(t, role)
	b, err := bus.New(t.Context(), nc, bus.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("%s cannot open the layout: %v", role, err)
	}
	return b, errs
}

// wantViolation waits for the server to report a permissions violation naming subject.
func wantViolation(t *testing.T, errs chan error, subject string) {
	t.Helper()
	for {
		select {
		case err := <-errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no permissions violation for %s", subject)
		}
	}
}

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func TestAuthNoCredentialsNoConnection(t *testing.T) {
	s := startAuthServer(t)
	nc, err := nats.Connect(s.ns.ClientURL(), nats.MaxReconnects(0))
	if err == nil {
		nc.Close()
		t.Fatal("a client without credentials connected")
	}
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("want an authorization error, got %v", err)
	}
}

func TestAuthEveryServiceOpensTheLayout(t *testing.T) {
	s := startAuthServer(t)
	s.bus(t, bus.RoleAdmin) // creates the layout
	for _, role := range bus.ServiceRoles([]string{"git", "noop"}) {
		b, errs := s.bus(t, role)
		select {
		case err := <-errs:
			t.Errorf("%s: %v", role, err)
		default:
		}
		_ = b
	}
}

func TestAuthExecutorKeepsToItsQueue(t *testing.T) {
	s := startAuthServer(t)
	admin, _ := s.bus(t, bus.RoleAdmin)
	if _, err := admin.Secrets.Put(t.Context(), "a.creds", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	noop, errs := s.bus(t, bus.ExecutorRole("noop"))

	if _, err := noop.Conn.Subscribe("dray.steps.git.>", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	wantViolation(t, errs, `Subscription to "dray.steps.git.>"`)

	if _, err := noop.JS.CreateOrUpdateConsumer(shortCtx(t), bus.StreamSteps, jetstream.ConsumerConfig{
		Durable: "executor-git", FilterSubject: "dray.steps.git.>"}); err == nil {
		t.Fatal("executor-noop created executor-git's consumer")
	}
	wantViolation(t, errs, "$JS.API.CONSUMER.CREATE.DRAY_STEPS.executor-git")

	if _, err := noop.Secrets.Get(shortCtx(t), "a.creds"); err == nil {
		t.Fatal("executor-noop read dray-secrets")
	}
	wantViolation(t, errs, "$JS.API.DIRECT.GET.KV_dray-secrets")

	// Its own queue works.
	if _, err := noop.JS.CreateOrUpdateConsumer(t.Context(), bus.StreamSteps, jetstream.ConsumerConfig{
		Durable: "executor-noop", FilterSubject: "dray.steps.noop.>", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatalf("executor-noop cannot create its own consumer: %v", err)
	}
}

func TestAuthGatewayCannotConsumeSteps(t *testing.T) {
	s := startAuthServer(t)
	s.bus(t, bus.RoleAdmin)
	gw, errs := s.bus(t, bus.RoleGateway)
	if _, err := gw.JS.CreateOrUpdateConsumer(shortCtx(t), bus.StreamSteps, jetstream.ConsumerConfig{
		Durable: "executor-git", FilterSubject: "dray.steps.git.>"}); err == nil {
		t.Fatal("the gateway created a consumer on DRAY_STEPS")
	}
	wantViolation(t, errs, "$JS.API.CONSUMER.CREATE.DRAY_STEPS")
	if _, err := gw.Conn.Subscribe("dray.steps.>", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	wantViolation(t, errs, `Subscription to "dray.steps.>"`)
}

func TestAuthProjectCredentialIsFencedToItsProject(t *testing.T) {
	s := startAuthServer(t)
	admin, _ := s.bus(t, bus.RoleAdmin)
	if _, err := admin.Resources.Put(t.Context(), "a.Stage.dev", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	nc, errs := s.conn(t, bus.ProjectRole("a"))

	// Its events arrive; project b's are refused.
	events := make(chan *nats.Msg, 4)
	if _, err := nc.ChanSubscribe("dray.events.a.>", events); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Subscribe("dray.events.b.>", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	wantViolation(t, errs, `Subscription to "dray.events.b.>"`)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := admin.Conn.Publish("dray.events.a.stage.paused", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-events:
		if m.Subject != "dray.events.a.stage.paused" {
			t.Fatalf("got %s", m.Subject)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("project a's client did not get its event")
	}

	// It may publish its commands, as the project's nkey (not as a token, nor as the
	// gateway, which names the actor in the body), not project b's.
	for _, subj := range []string{"dray.cmd.b.promote._nkey", "dray.cmd.a.promote", "dray.cmd.a.promote.ci"} {
		if err := nc.Publish(subj, []byte(`{"project":"b"}`)); err != nil {
			t.Fatal(err)
		}
		wantViolation(t, errs, `Publish to "`+subj+`"`)
	}
	if err := nc.Publish("dray.cmd.a.promote._nkey", []byte(`{"project":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	cmds, err := admin.JS.Stream(t.Context(), bus.StreamCommands)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cmds.Info(t.Context(), jetstream.WithSubjectFilter("dray.cmd.>"))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.State.Subjects) != 1 || info.State.Subjects["dray.cmd.a.promote._nkey"] != 1 {
		t.Fatalf("want only project a's command stored, got %v", info.State.Subjects)
	}

	// It reads no bucket.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, subj := range []string{"$JS.API.DIRECT.GET.KV_dray-resources.$KV.dray-resources.a.Stage.dev",
		"$JS.API.STREAM.INFO.KV_dray-secrets"} {
		if _, err := nc.Request(subj, nil, 500*time.Millisecond); err == nil {
			t.Fatalf("project a's client got an answer on %s", subj)
		}
		wantViolation(t, errs, subj)
	}
	if _, err := js.KeyValue(shortCtx(t), bus.BucketResources); err == nil {
		t.Fatal("project a's client opened dray-resources")
	}
}

func TestPermissionsOfUnknownRole(t *testing.T) {
	for _, role := range []string{"", "root", "executor-", "executor-a.b", "project-", "project-A B"} {
		if _, err := bus.PermissionsOf(role); err == nil {
			t.Errorf("role %q: want an error", role)
		}
	}
}
