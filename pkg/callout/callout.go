package callout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
// a revoked token is off the bus within this time.
const DefaultMaxAge = 15 * time.Minute

// Tokens finds a stored API token from its text (token.Index).
type Tokens interface {
	Lookup(text string, now time.Time) (v1.APIToken, error)
}

// Callout decides who may connect. It is safe for concurrent use.
type Callout struct {
	// Issuer is the account key pair whose public key the server's auth_callout names as
	// issuer; it signs every answer.
	Issuer nkeys.KeyPair
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
}

// ErrNotProjectToken refuses a system-admin token: the bus gives it nothing the admin's nkey
// does not.
var ErrNotProjectToken = errors.New("a system-admin token cannot connect to NATS: use a project token (dray token create --nats), or the admin's nkey")

// Serve answers the server's requests on nc (a user that bypasses the callout and may
// subscribe to bus.AuthCalloutSubject and answer it) until ctx ends.
func (c *Callout) Serve(ctx context.Context, nc *nats.Conn) error {
	sub, err := nc.Subscribe(bus.AuthCalloutSubject, func(m *nats.Msg) {
		if err := m.Respond(c.Answer(m.Data)); err != nil {
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
	return nil
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
	user, who, err := c.user(req)
	if err != nil {
		// The reason reaches the server's log, not the client: it names no secret.
		c.log().Info("NATS client refused", "host", req.ClientInformation.Host, "name", req.ClientInformation.Name, "err", err)
		resp.Error = err.Error()
	} else {
		resp.Jwt = user
		c.log().Debug("NATS client admitted", "actor", who, "host", req.ClientInformation.Host)
	}
	out, err := resp.Encode(c.Issuer)
	if err != nil {
		c.log().Error("auth callout: sign the answer", "err", err)
		return nil
	}
	return []byte(out)
}

// user makes the user JWT of the token the request presents, as NATS token or as password.
func (c *Callout) user(req *jwt.AuthorizationRequestClaims) (string, string, error) {
	text := req.ConnectOptions.Token
	if text == "" {
		text = req.ConnectOptions.Password
	}
	if text == "" {
		return "", "", errors.New("no credentials: connect with a Dray API token as the NATS token (dray token create --nats)")
	}
	now := c.now()
	t, err := c.Tokens.Lookup(text, now)
	if err != nil {
		return "", "", err
	}
	if t.SystemAdmin || t.Project == "" {
		return "", "", ErrNotProjectToken
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
		return "", "", fmt.Errorf("sign the NATS user of %s: %w", id.Actor(), err)
	}
	return s, id.Actor(), nil
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
