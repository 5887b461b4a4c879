package callout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// DefaultMaxAge is how long a NATS user the callout admits lasts unless its token expires
// sooner: the server then closes the connection, and the client's reconnect asks again, so
// a revoked token is off the bus within this time even when no Kicker closes its
// connections sooner.
const DefaultMaxAge = 15 * time.Minute

// Tokens finds a stored API token from its text, or its hash (token.Index).
type Tokens interface {
	Lookup(text string, now time.Time) (v1.APIToken, error)
	LookupHash(hash string, now time.Time) (v1.APIToken, error)
}

// Kicker disconnects the client cid of the nats-server whose ID is server. A client that is
// gone already is no error.
type Kicker interface {
	Kick(ctx context.Context, server string, cid uint64) error
}

// DefaultCheckEvery is how often the callout looks for admitted connections whose token
// was revoked, deleted or has expired, to disconnect them.
const DefaultCheckEvery = time.Second

// Callout decides who may connect. It is safe for concurrent use.
type Callout struct {
	// Issuer is the account key pair whose public key the server's auth_callout names as
	// issuer; it signs every answer.
	Issuer nkeys.KeyPair
	// XKey, when set, is the curve key pair the server encrypts its requests to (the public
	// key is auth_callout's xkey, bus.Users.UseCalloutXKey): the callout opens them with it
	// and encrypts its answers to the server's key. Requests that come unencrypted are
	// answered unencrypted.
	XKey nkeys.KeyPair
	// Tokens are the stored API tokens.
	Tokens Tokens
	// Policy returns the roles a project declares (nil: the built-in ones).
	Policy func(project string) *access.Policy
	// MaxAge bounds a user's life; default DefaultMaxAge.
	MaxAge time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log receives a line for every client refused.
	Log *slog.Logger
	// Kick, when set, disconnects the connections it admitted once their token is revoked,
	// deleted or expired, within CheckEvery (default DefaultCheckEvery). Without it they last
	// until their user expires (MaxAge).
	Kick       Kicker
	CheckEvery time.Duration
	// Audit, when set, stores the audit record of a refused client (pkg/audit.Append); it
	// runs on a goroutine of its own. A client host and token get one record per AuditEvery
	// (default DefaultAuditEvery), and at most AuditKeys (default DefaultAuditKeys) of them
	// a window, so a flood of bad connects cannot flood the trail.
	Audit      func(context.Context, *v1.AuditRecord)
	AuditEvery time.Duration
	AuditKeys  int
	// Metrics count the answers (NewMetrics); nil: none.
	Metrics *Metrics

	limitOnce sync.Once
	limit     *refusals

	mu sync.Mutex
	// admitted are the connections admitted and not known to be gone.
	admitted map[conn]admission
}

// conn is a client of a server.
type conn struct {
	server string
	cid    uint64
}

// admission is what the callout admitted a connection as.
type admission struct {
	hash, actor string
	// until is when its user expires: the server has closed it by then.
	until time.Time
}

// ErrNotProjectToken refuses a system-admin token: the bus gives it nothing the admin's nkey
// does not.
var ErrNotProjectToken = errors.New("a system-admin token cannot connect to NATS: use a project token (dray token create --nats), or the admin's nkey")

// Serve answers the server's requests on nc (a user that bypasses the callout and may
// subscribe to bus.AuthCalloutSubject and answer it) until ctx ends.
func (c *Callout) Serve(ctx context.Context, nc *nats.Conn) error {
	sub, err := nc.Subscribe(bus.AuthCalloutSubject, func(m *nats.Msg) {
		answer, err := c.answerMsg(m)
		if err != nil {
			// Without an answer the server refuses the client when its wait ends.
			c.log().Warn("auth callout: request not answered", "err", err)
			return
		}
		if err := m.Respond(answer); err != nil {
			c.log().Warn("auth callout: answer not sent", "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("serve NATS auth callout: %w", err)
	}
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("serve NATS auth callout: %w", err)
	}
	go func() {
		<-ctx.Done()
		_ = sub.Unsubscribe()
	}()
	if c.Kick != nil {
		go c.watch(ctx)
	}
	return nil
}

// watch disconnects, every CheckEvery until ctx ends, the connections whose token is gone.
func (c *Callout) watch(ctx context.Context) {
	every := c.CheckEvery
	if every <= 0 {
		every = DefaultCheckEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.sweep(ctx)
		}
	}
}

// sweep disconnects the admitted connections whose token was revoked, deleted or has expired,
// and forgets those whose user has expired.
func (c *Callout) sweep(ctx context.Context) {
	now := c.now()
	type doomed struct {
		conn
		admission
		why error
	}
	var kick []doomed
	c.mu.Lock()
	for k, a := range c.admitted {
		if !now.Before(a.until) {
			delete(c.admitted, k)
			continue
		}
		if _, err := c.Tokens.LookupHash(a.hash, now); err != nil {
			kick = append(kick, doomed{k, a, err})
		}
	}
	c.mu.Unlock()
	for _, d := range kick {
		if err := c.Kick.Kick(ctx, d.server, d.cid); err != nil {
			c.log().Warn("NATS connection of a revoked token not closed: will try again", "actor", d.actor, "server", d.server, "cid", d.cid, "err", err)
			continue
		}
		c.mu.Lock()
		delete(c.admitted, d.conn)
		c.mu.Unlock()
		c.log().Info("NATS connection closed: its token is no longer valid", "actor", d.actor, "server", d.server, "cid", d.cid, "reason", d.why)
	}
}

// answerMsg answers a request as it came: one encrypted to XKey (the server's curve key in
// its Nats-Server-Xkey header) gets an answer encrypted to the server.
func (c *Callout) answerMsg(m *nats.Msg) ([]byte, error) {
	serverXKey := m.Header.Get(server.AuthRequestXKeyHeader)
	if serverXKey == "" {
		return c.Answer(m.Data), nil
	}
	if c.XKey == nil {
		return nil, errors.New("the server encrypts its requests (auth_callout xkey) and the callout has no xkey to open them: give the gateway --nats-callout-xkey (dray nats config keeps it as callout-xkey.nk)")
	}
	req, err := c.XKey.Open(m.Data, serverXKey)
	if err != nil {
		return nil, fmt.Errorf("open an encrypted request: %w (is --nats-callout-xkey the seed of auth_callout's xkey?)", err)
	}
	answer := c.Answer(req)
	if answer == nil {
		return nil, errors.New("undecodable request")
	}
	sealed, err := c.XKey.Seal(answer, serverXKey)
	if err != nil {
		return nil, fmt.Errorf("encrypt the answer: %w", err)
	}
	return sealed, nil
}

// Answer is the signed answer to an authorization request: a user JWT with the token's
// permissions, or the reason the client is refused. It is empty only when the request is
// not one (the server then refuses the client when its wait ends).
func (c *Callout) Answer(request []byte) []byte {
	req, err := jwt.DecodeAuthorizationRequestClaims(string(request))
	if err != nil {
		c.log().Warn("auth callout: undecodable request", "err", err)
		return nil
	}
	resp := jwt.NewAuthorizationResponseClaims(req.UserNkey)
	resp.Audience = req.Server.ID
	user, t, err := c.user(req)
	if err != nil {
		// The reason reaches the server's log, not the client: it names no secret.
		c.log().Info("NATS client refused", "host", req.ClientInformation.Host, "name", req.ClientInformation.Name, "err", err)
		resp.Error = err.Error()
		c.refused(req, t, err)
	} else {
		resp.Jwt = user.jwt
		c.Metrics.count(v1.AuditAllowed)
		c.admit(conn{req.Server.ID, req.ClientInformation.ID}, admission{hash: t.SHA256, actor: user.actor, until: user.until})
		c.log().Debug("NATS client admitted", "actor", user.actor, "host", req.ClientInformation.Host)
	}
	out, err := resp.Encode(c.Issuer)
	if err != nil {
		c.log().Error("auth callout: sign the answer", "err", err)
		return nil
	}
	return []byte(out)
}

// admit remembers a connection, to disconnect it when its token goes.
func (c *Callout) admit(k conn, a admission) {
	if c.Kick == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admitted == nil {
		c.admitted = map[conn]admission{}
	}
	c.admitted[k] = a
}

// signed is a user JWT, who it is, and when it expires.
type signed struct {
	jwt, actor string
	until      time.Time
}

// user makes the user JWT of the token the request presents, as NATS token or as password,
// and returns the token.
func (c *Callout) user(req *jwt.AuthorizationRequestClaims) (signed, v1.APIToken, error) {
	text := req.ConnectOptions.Token
	if text == "" {
		text = req.ConnectOptions.Password
	}
	if text == "" {
		return signed{}, v1.APIToken{}, errors.New("no credentials: connect with a Dray API token as the NATS token (dray token create --nats)")
	}
	now := c.now()
	t, err := c.Tokens.Lookup(text, now)
	if err != nil {
		return signed{}, t, err
	}
	if t.SystemAdmin || t.Project == "" {
		return signed{}, t, ErrNotProjectToken
	}
	id := access.Identity{Name: t.Name, Project: t.Project, Role: t.Role}
	var policy *access.Policy
	if c.Policy != nil {
		policy = c.Policy(t.Project)
	}
	perms := bus.TokenPermissions(t.Project, t.Name, Verbs(id, policy))
	uc := jwt.NewUserClaims(req.UserNkey)
	uc.Audience = server.DEFAULT_GLOBAL_ACCOUNT
	uc.Name = id.Actor()
	uc.Pub.Allow.Add(perms.Publish...)
	if len(perms.Publish) == 0 {
		uc.Pub.Deny.Add(">") // an empty allow list would allow everything
	}
	uc.Sub.Allow.Add(perms.Subscribe...)
	maxAge := c.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	exp := now.Add(maxAge)
	if t.ExpiresAt != nil && t.ExpiresAt.Before(exp) {
		exp = *t.ExpiresAt
	}
	uc.Expires = exp.Unix()
	s, err := uc.Encode(c.Issuer)
	if err != nil {
		return signed{}, t, fmt.Errorf("sign the NATS user of %s: %w", id.Actor(), err)
	}
	return signed{jwt: s, actor: id.Actor(), until: exp}, t, nil
}

// Verbs are the commands id may publish in its project: those its role allows on some
// resource of the kind. The scheduler checks the resource a command names against the role
// again (a role may promote only dev), and refuses the command when it may not; the
// warehouse does not, so refresh needs the verb on every Warehouse.
func Verbs(id access.Identity, p *access.Policy) []string {
	var out []string
	for _, c := range access.Commands {
		req := access.Request{Verb: c.Verb, Resource: c.Resource, Project: id.Project, AnyName: c.Command != "refresh"}
		if access.Decide(id, req, p) == nil {
			out = append(out, c.Command)
		}
	}
	return out
}

func (c *Callout) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Callout) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
