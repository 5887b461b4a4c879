package callout_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/callout"
	"github.com/drayhq/dray/pkg/token"
)

// world is a nats-server started from the configuration dray nats config prints (the
// external layout), with the layout declared, the callout served on the gateway's user, and
// a token store.
type world struct {
	ns      *server.Server
	admin   *bus.Bus
	tokens  *token.Store
	users   *bus.Users
	metrics *prometheus.Registry
}

func start(t testing.TB) *world { t.Helper(); return startWith(t, false) }

// startWith starts the world, with the callout's requests encrypted (auth_callout xkey) when
// xkey is set.
func startWith(t testing.TB, xkey bool) *world {
	t.Helper()
	users, err := bus.NewUsers(bus.RoleGateway, bus.RoleSystem, bus.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	if err := users.UseCallout(issuer); err != nil {
		t.Fatal(err)
	}
	var xkp nkeys.KeyPair
	if xkey {
		if xkp, err = nkeys.CreateCurveKeys(); err != nil {
			t.Fatal(err)
		}
		if err := users.UseCalloutXKey(xkp); err != nil {
			t.Fatal(err)
		}
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
	conn := func(role string) *nats.Conn {
		auth, err := users.ConnectOptions(role)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := nats.Connect(ns.ClientURL(), auth...)
		if err != nil {
			t.Fatalf("connect as %s: %v", role, err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	connect := func(role string) *bus.Bus {
		b, err := bus.New(t.Context(), conn(role), bus.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	admin := connect(bus.RoleAdmin)
	gw := connect(bus.RoleGateway)
	ix, err := token.Watch(t.Context(), gw.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := callout.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	c := &callout.Callout{Issuer: issuer, XKey: xkp, Tokens: ix, Log: slog.New(slog.DiscardHandler),
		Kick: callout.SystemKicker{Conn: conn(bus.RoleSystem)}, CheckEvery: 20 * time.Millisecond, Metrics: m,
		Audit: func(ctx context.Context, rec *v1.AuditRecord) {
			// (A refusal at the test's end is recorded after the connections closed.)
			if err := audit.Append(ctx, gw, rec, ""); err != nil && t.Context().Err() == nil {
				t.Errorf("audit: %v", err)
			}
		}}
	if err := c.Serve(t.Context(), gw.Conn); err != nil {
		t.Fatal(err)
	}
	return &world{ns: ns, admin: admin, tokens: token.NewStore(admin.Tokens), users: users, metrics: reg}
}

// token makes a token of project as role, expiring at exp when set.
func (w *world) token(t testing.TB, project, name, role string, exp *time.Time) string {
	t.Helper()
	text, _, err := w.tokens.Create(t.Context(), v1.APIToken{Name: name, Project: project, Role: role, ExpiresAt: exp})
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// connect connects with tok as the NATS token, and returns the connection with the errors
// the server reports to it.
func (w *world) connect(t *testing.T, tok string, opts ...nats.Option) (*nats.Conn, chan error, error) {
	t.Helper()
	errs := make(chan error, 64)
	opts = append([]nats.Option{nats.Token(tok), nats.MaxReconnects(0), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		errs <- err
	})}, opts...)
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := nats.Connect(w.ns.ClientURL(), opts...)
		if err == nil {
			t.Cleanup(nc.Close)
			return nc, errs, nil
		}
		// The token index follows the bucket: a token made a moment ago may not be in it yet.
		if time.Now().After(deadline) || !errors.Is(err, nats.ErrAuthorization) || tok == "" {
			return nil, nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

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

func TestNoCredentialsNoConnection(t *testing.T) {
	w := start(t)
	for name, opt := range map[string]nats.Option{
		"none":      func(*nats.Options) error { return nil },
		"malformed": nats.Token("dray_a.ci_short"),
		"unknown":   nats.Token("dray_a.ci_AAAAAAAAAAAAAAAAAAAAAAAAAA"),
	} {
		if nc, err := nats.Connect(w.ns.ClientURL(), opt, nats.MaxReconnects(0)); err == nil {
			nc.Close()
			t.Errorf("%s: a client connected", name)
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: want an authorization error, got %v", name, err)
		}
	}
}

// TestTokenIsFencedToItsProjectAndName: a developer token of project a may publish a's
// commands under its own name (JetStream stores them), and nothing of project b, nothing
// under another name or the gateway's subject; it reads a's events, not b's, and no bucket.
func TestTokenIsFencedToItsProjectAndName(t *testing.T) {
	w := start(t)
	if _, err := w.admin.Resources.Put(t.Context(), "a.Stage.dev", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	nc, errs, err := w.connect(t, w.token(t, "a", "ci", access.RoleDeveloper, nil), nats.CustomInboxPrefix(bus.TokenInboxPrefix("a", "ci")))
	if err != nil {
		t.Fatalf("a developer token cannot connect: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(t.Context(), bus.CommandSubjectAs("a", "promote", "ci"), []byte(`{"stage":"dev"}`)); err != nil {
		t.Fatalf("publish its own promote command: %v", err)
	}
	for _, subj := range []string{
		bus.CommandSubjectAs("b", "promote", "ci"), bus.CommandSubjectAs("a", "promote", "other"),
		bus.CommandSubject("a", "promote"), bus.CommandSubjectAs("a", "wake", "ci"),
	} {
		if err := nc.Publish(subj, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		wantViolation(t, errs, `Publish to "`+subj+`"`)
	}
	cmds, err := w.admin.JS.Stream(t.Context(), bus.StreamCommands)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cmds.Info(t.Context(), jetstream.WithSubjectFilter("dray.cmd.>"))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.State.Subjects) != 1 || info.State.Subjects["dray.cmd.a.promote.ci"] != 1 {
		t.Fatalf("want only a/ci's command stored, got %v", info.State.Subjects)
	}

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
	if err := w.admin.Conn.Publish("dray.events.a.stage.paused", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-events:
	case <-time.After(10 * time.Second):
		t.Fatal("the token did not get its project's event")
	}

	for _, subj := range []string{"$JS.API.DIRECT.GET.KV_dray-resources.$KV.dray-resources.a.Stage.dev",
		"$JS.API.STREAM.INFO.KV_dray-tokens", bus.AuthCalloutSubject} {
		if _, err := nc.Request(subj, nil, 500*time.Millisecond); err == nil {
			t.Fatalf("the token got an answer on %s", subj)
		}
		wantViolation(t, errs, subj)
	}
}

// TestTokenVerbsFollowItsRole: a viewer's token connects but may publish no command.
func TestTokenVerbsFollowItsRole(t *testing.T) {
	w := start(t)
	nc, errs, err := w.connect(t, w.token(t, "a", "watcher", access.RoleViewer, nil))
	if err != nil {
		t.Fatalf("a viewer token cannot connect: %v", err)
	}
	subj := bus.CommandSubjectAs("a", "promote", "watcher")
	if err := nc.Publish(subj, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	wantViolation(t, errs, `Publish to "`+subj+`"`)
}

// TestRevokedOrExpiredTokenCannotConnect: a token that was revoked, or has expired, is
// refused; a system-admin token too (the bus gives it nothing).
func TestRevokedOrExpiredTokenCannotConnect(t *testing.T) {
	w := start(t)
	revoked := w.token(t, "a", "old", access.RoleDeveloper, nil)
	if _, _, err := w.connect(t, revoked); err != nil {
		t.Fatalf("before revoking: %v", err)
	}
	if err := w.tokens.Revoke(t.Context(), "a", "old"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := nats.Connect(w.ns.ClientURL(), nats.Token(revoked), nats.MaxReconnects(0))
		if err != nil {
			if !errors.Is(err, nats.ErrAuthorization) {
				t.Fatalf("revoked: want an authorization error, got %v", err)
			}
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("a revoked token still connects after 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	past := time.Now().Add(-time.Minute)
	expired := w.token(t, "a", "gone", access.RoleDeveloper, &past)
	admin, _, err := w.tokens.Create(t.Context(), v1.APIToken{Name: "root", SystemAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let the index see them: a refusal must not be for want of that
	for name, tok := range map[string]string{"expired": expired, "system-admin": admin} {
		if nc, err := nats.Connect(w.ns.ClientURL(), nats.Token(tok), nats.MaxReconnects(0)); err == nil {
			nc.Close()
			t.Errorf("%s token connected", name)
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: want an authorization error, got %v", name, err)
		}
	}
}

// TestRevokedTokenIsDisconnected: revoking a token closes its live connection at once (the
// gateway's system user kicks it), it cannot connect again, and it gets no more events.
func TestRevokedTokenIsDisconnected(t *testing.T) {
	w := start(t)
	tok := w.token(t, "a", "ci", access.RoleDeveloper, nil)
	closed := make(chan struct{})
	reconnectErrs := make(chan error, 16)
	nc, _, err := w.connect(t, tok, nats.MaxReconnects(-1), nats.ReconnectWait(10*time.Millisecond),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { reconnectErrs <- err }))
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan *nats.Msg, 16)
	if _, err := nc.ChanSubscribe("dray.events.a.>", events); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.admin.Conn.Publish("dray.events.a.stage.paused", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-events:
	case <-time.After(10 * time.Second):
		t.Fatal("no event before the revocation")
	}

	if err := w.tokens.Revoke(t.Context(), "a", "ci"); err != nil {
		t.Fatal(err)
	}
	// The server closes the connection; the client's reconnect is refused, as the token is gone.
	select {
	case err := <-reconnectErrs:
		if !errors.Is(err, nats.ErrAuthorization) {
			t.Fatalf("reconnecting after the revocation: want an authorization error, got %v", err)
		}
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the revoked token's connection is still open after 10s")
	}
	if nc.IsConnected() {
		t.Fatal("the revoked token's connection reconnected")
	}
	for range 20 {
		if err := w.admin.Conn.Publish("dray.events.a.stage.paused", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.admin.Conn.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-events:
		t.Fatal("the revoked token still gets events")
	case <-time.After(200 * time.Millisecond):
	}
	if s := w.ns.NumClients(); s != 3 {
		t.Errorf("the server has %d clients, want the admin's, the gateway's and the system user's", s)
	}
}

// TestRefusedConnectsAreAudited: a flood of connects with a bad token leaves one audit record
// per client host and token, with the reason and the token's project and name but never its
// secret, and every refusal is counted in dray_nats_auth_total.
func TestRefusedConnectsAreAudited(t *testing.T) {
	w := start(t)
	good := w.token(t, "a", "ok", access.RoleDeveloper, nil)
	if _, _, err := w.connect(t, good); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Minute)
	expired := w.token(t, "a", "old", access.RoleDeveloper, &past)
	const unknown = "dray_a.ci_AAAAAAAAAAAAAAAAAAAAAAAAAA"
	time.Sleep(200 * time.Millisecond) // let the index see the expired token: refused for its expiry
	const flood = 30
	for _, tok := range []string{unknown, expired, "not-a-token"} {
		for range flood {
			if nc, err := nats.Connect(w.ns.ClientURL(), nats.Token(tok), nats.MaxReconnects(0)); err == nil {
				nc.Close()
				t.Fatalf("%s connected", tok)
			}
		}
	}
	counts := fmt.Sprintf(`# HELP dray_nats_auth_total NATS clients the auth callout answered, by result (allowed, refused).
# TYPE dray_nats_auth_total counter
dray_nats_auth_total{result="allowed"} 1
dray_nats_auth_total{result="refused"} %d
`, 3*flood)
	if err := testutil.GatherAndCompare(w.metrics, strings.NewReader(counts), "dray_nats_auth_total"); err != nil {
		t.Error(err)
	}
	want := map[string]string{"a/ci": "unknown or revoked token", "a/old": "expired", "/": "malformed token"}
	var recs []v1.AuditRecord
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := audit.Query(t.Context(), w.admin.JS, audit.Filter{AllProjects: true, Verb: callout.AuditVerb})
		if err != nil {
			t.Fatal(err)
		}
		recs = list.Records
		if len(recs) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a record beyond one per token would be there by now
	list, err := audit.Query(t.Context(), w.admin.JS, audit.Filter{AllProjects: true, Verb: callout.AuditVerb})
	if err != nil {
		t.Fatal(err)
	}
	recs = list.Records
	if len(recs) != len(want) {
		t.Fatalf("%d audit records of refused connects, want one per token (%d): %+v", len(recs), len(want), recs)
	}
	for _, r := range recs {
		key := r.Project + "/" + r.Name
		if !strings.Contains(r.Reason, want[key]) || r.Result != v1.AuditRefused || r.Source != v1.AuditSourceBus || r.Actor != "anonymous" || r.RemoteAddr == "" {
			t.Errorf("record of %s: %+v, want refused for %q from the client's host", key, r, want[key])
		}
		for _, secret := range []string{unknown, expired, "AAAAAAAAAAAAAAAA", expired[len(expired)-20:]} {
			if strings.Contains(fmt.Sprintf("%+v", r), secret) {
				t.Errorf("record of %s holds the token's secret: %+v", key, r)
			}
		}
	}
}

// TestEncryptedCallout: with auth_callout's xkey, the server encrypts its requests (which
// carry the client's token) to the callout's curve key, and a token client connects through
// the callout, which opens them and encrypts its answers; a user who may read the callout's
// subject sees no token.
func TestEncryptedCallout(t *testing.T) {
	w := startWith(t, true)
	seen := make(chan *nats.Msg, 4)
	if _, err := w.admin.Conn.ChanSubscribe(bus.AuthCalloutSubject, seen); err != nil {
		t.Fatal(err)
	}
	if err := w.admin.Conn.Flush(); err != nil {
		t.Fatal(err)
	}
	tok := w.token(t, "a", "ci", access.RoleDeveloper, nil)
	nc, errs, err := w.connect(t, tok, nats.CustomInboxPrefix(bus.TokenInboxPrefix("a", "ci")))
	if err != nil {
		t.Fatalf("a token cannot connect through the encrypted callout: %v", err)
	}
	subj := bus.CommandSubjectAs("b", "promote", "ci")
	if err := nc.Publish(subj, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	wantViolation(t, errs, `Publish to "`+subj+`"`) // the user the answer carried, fenced to a
	m := <-seen
	if m.Header.Get(server.AuthRequestXKeyHeader) == "" || strings.HasPrefix(string(m.Data), "eyJ") {
		t.Fatalf("the callout request is not encrypted: header %v", m.Header)
	}
	if _, err := jwt.DecodeAuthorizationRequestClaims(string(m.Data)); err == nil {
		t.Fatal("an eavesdropper decoded the callout request")
	}
}

// TestSystemKicker: the system user's kick of a client that is gone, or of a server that is
// not there, is no error; a user outside the system account cannot kick.
func TestSystemKicker(t *testing.T) {
	w := start(t)
	connect := func(role string, opts ...nats.Option) *nats.Conn {
		auth, err := w.users.ConnectOptions(role)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := nats.Connect(w.ns.ClientURL(), append(auth, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	sys := callout.SystemKicker{Conn: connect(bus.RoleSystem)}
	if err := sys.Kick(t.Context(), w.ns.ID(), 1<<40); err != nil {
		t.Errorf("kick a client that is gone: %v", err)
	}
	if err := sys.Kick(t.Context(), "NOSUCHSERVER", 1); err != nil {
		t.Errorf("kick a client of a server that is gone: %v", err)
	}
	// The admin of the global account may publish anything there, and still kicks nobody:
	// the kick subject is the system account's.
	closed := make(chan struct{})
	victim := connect(bus.RoleGateway, nats.MaxReconnects(0), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	admin := callout.SystemKicker{Conn: connect(bus.RoleAdmin), Timeout: 500 * time.Millisecond}
	_ = admin.Kick(t.Context(), w.ns.ID(), victimCID(t, victim))
	if err := victim.Flush(); err != nil || !victim.IsConnected() {
		t.Errorf("a user of the global account kicked a client (%v)", err)
	}
	if err := sys.Kick(t.Context(), w.ns.ID(), victimCID(t, victim)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Error("the system user's kick left the client connected")
	}
}

func victimCID(t *testing.T, nc *nats.Conn) uint64 {
	t.Helper()
	id, err := nc.GetClientID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestUserExpiresWithItsToken: the NATS user lasts until its token expires, at most MaxAge.
func TestUserExpiresWithItsToken(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	soon := now.Add(time.Minute)
	issuer, _ := nkeys.CreateAccount()
	c := &callout.Callout{Issuer: issuer, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
		Tokens: fixed{t: v1.APIToken{Name: "ci", Project: "a", Role: access.RoleDeveloper, ExpiresAt: &soon}}}
	user, _ := nkeys.CreateUser()
	upub, _ := user.PublicKey()
	req := jwtRequest(t, upub)
	resp := decodeResponse(t, c.Answer(req))
	if resp.Expires != soon.Unix() {
		t.Errorf("user expires at %d, want the token's expiry %d", resp.Expires, soon.Unix())
	}
	if !slices(resp.Pub.Allow, "dray.cmd.a.promote.ci") || resp.Name != "token:a/ci" {
		t.Errorf("user = %+v, want token:a/ci allowed dray.cmd.a.promote.ci", resp)
	}
}

// fixed finds one token, whatever the text.
type fixed struct{ t v1.APIToken }

func (f fixed) Lookup(string, time.Time) (v1.APIToken, error)     { return f.t, nil }
func (f fixed) LookupHash(string, time.Time) (v1.APIToken, error) { return f.t, nil }

// jwtRequest is a server's authorization request for the user key upub, with a token.
func jwtRequest(t testing.TB, upub string) []byte {
	t.Helper()
	srv, _ := nkeys.CreateServer()
	spub, _ := srv.PublicKey()
	req := jwt.NewAuthorizationRequestClaims(spub)
	req.UserNkey, req.Server.ID, req.ConnectOptions.Token = upub, "S1", "dray_a.ci_AAAAAAAAAAAAAAAAAAAAAAAAAA"
	s, err := req.Encode(srv)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

// decodeResponse decodes an answer and the user JWT it carries.
func decodeResponse(t *testing.T, answer []byte) *jwt.UserClaims {
	t.Helper()
	cr, err := jwt.DecodeAuthorizationResponseClaims(string(answer))
	if err != nil {
		t.Fatal(err)
	}
	if cr.Error != "" || cr.Audience != "S1" {
		t.Fatalf("answer: error %q, audience %q; want a user for S1", cr.Error, cr.Audience)
	}
	uc, err := jwt.DecodeUserClaims(cr.Jwt)
	if err != nil {
		t.Fatal(err)
	}
	return uc
}

func slices(list jwt.StringList, s string) bool { return list.Contains(s) }
