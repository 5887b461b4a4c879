package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/drayhq/dray/pkg/access"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/token"
)

// perm is what a route declares at registration: open to anyone (its handler checks its
// own credentials, as webhook receivers check signatures), open to any identity, or a verb
// on a resource of the path's project, by the path's name.
type perm struct {
	public, anyone bool
	verb, resource string
	// bodyName marks a route whose resource name is in the body (promote and approve name
	// their Stage there): the route checks the verb on some resource of the kind, and the
	// handler checks the name with authorizeName once it has read it.
	bodyName bool
	// ownProject marks a route without a project in its path (apply): the verb is checked in
	// the identity's own project, and the handler checks each resource it touches.
	ownProject bool
	// isPage marks a route of the web UI (web.go).
	isPage bool
}

// public is the perm of routes anyone may call: health, and webhook receivers, which check
// their senders' signatures.
func public() perm { return perm{public: true} }

// anyIdentity is the perm of routes every authenticated identity may call; what they answer
// depends on the identity.
func anyIdentity() perm { return perm{anyone: true} }

// need is the perm of routes that need verb on resource.
func need(verb, resource string) perm { return perm{verb: verb, resource: resource} }

// applyPerm is the perm of apply, whose resources and projects are in the body: the route
// needs apply on some resource of the identity's own project, and the handler checks each
// resource.
func applyPerm() perm { return perm{verb: access.VerbApply, ownProject: true} }

// nameInBody marks the resource name as read from the body.
func (p perm) nameInBody() perm { p.bodyName = true; return p }

func (p perm) validate() error {
	n := 0
	for _, set := range []bool{p.public, p.anyone, p.verb != ""} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return errors.New("declare exactly one of public(), anyIdentity() or need(verb, resource)")
	case p.verb != "" && p.resource == "" && !p.ownProject:
		return errors.New("need() without a resource")
	}
	return nil
}

// request is the access request of a call to the route.
func (p perm) request(r *http.Request, id access.Identity) access.Request {
	req := access.Request{Verb: p.verb, Resource: p.resource, Project: r.PathValue("project"), Name: r.PathValue("name"), AnyName: p.bodyName}
	if p.ownProject {
		req.Project, req.AnyName = id.Project, true
	}
	if req.Resource == access.ResourceProjects && req.Name == "" {
		req.Name = req.Project // DELETE /api/v1/projects/{project} names the Project by its path
	}
	return req
}

// errLogin is how a 401 tells the caller to log in.
const errLogin = "send Authorization: Bearer <token>: the CLI sends the token of its current context " +
	"(dray up records its admin token there, and in <data-dir>/admin.token; dray login --server URL " +
	"signs in with OIDC where the gateway has it), $DRAY_TOKEN or --token-file; " +
	"an admin of the project makes tokens with dray token create"

// authn authenticates requests from their bearer token and authorizes them with the roles of
// their project. It reads no NATS on a request: tokens and roles are indexes that follow their
// buckets.
type authn struct {
	tokens   *token.Index
	store    *token.Store
	policies *access.PolicyIndex
	now      func() time.Time
	// oidc verifies OIDC ID tokens and session cookies (oidc.go, session.go); it holds nil
	// without OIDC.
	oidc atomic.Pointer[oidcAuth]
	// web seals the sessions of the UI's token sign-in (websession.go); secure marks their
	// cookies Secure (the gateway serves HTTPS or its external URL is https).
	web    *sessions
	secure bool
}

// newAuthn loads the tokens and declared roles of b and follows them until ctx ends.
func newAuthn(ctx context.Context, b *bus.Bus) (*authn, error) {
	tokens, err := token.Watch(ctx, b.Tokens)
	if err != nil {
		return nil, err
	}
	policies, err := access.WatchPolicies(ctx, b.Resources)
	if err != nil {
		return nil, err
	}
	web, err := newSessions("")
	if err != nil {
		return nil, err
	}
	return &authn{tokens: tokens, store: token.NewStore(b.Tokens), policies: policies, now: time.Now, web: web}, nil
}

// authenticate returns the identity of r's bearer token (an API token, or an OIDC ID token)
// or of its session cookie, or answers 401 saying how to log in (403 for a change signed in
// by cookie without the CSRF header).
func (a *authn) authenticate(w http.ResponseWriter, r *http.Request) (access.Identity, bool) {
	h := r.Header.Get("Authorization")
	scheme, text, _ := strings.Cut(h, " ")
	text = strings.TrimSpace(text)
	var err error
	switch {
	case h == "":
		id, ok, serr := a.fromTokenSession(r, a.now())
		if !ok {
			id, ok, serr = a.oidc.Load().fromSession(r, a.now())
		}
		switch {
		case ok && serr == nil:
			return id, true
		case errors.Is(serr, errCSRF):
			writeError(w, http.StatusForbidden, serr)
			return access.Identity{}, false
		case ok:
			err = serr
		default:
			err = errors.New("authentication required")
		}
	case !strings.EqualFold(scheme, "Bearer"):
		err = fmt.Errorf("unsupported authorization scheme %q", scheme)
	case a.oidc.Load() != nil && looksLikeJWT(text):
		id, verr := a.oidc.Load().bearer(r.Context(), text, a.now())
		if verr == nil {
			return id, true
		}
		err = verr
	default:
		rec, lerr := a.tokens.Lookup(text, a.now())
		if lerr == nil {
			return tokenIdentity(rec.Name, rec.Project, rec.Role, rec.SystemAdmin), true
		}
		err = lerr
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="dray"`)
	writeError(w, http.StatusUnauthorized, fmt.Errorf("%w: %s", err, errLogin))
	return access.Identity{}, false
}

// authorize answers 403 naming the verb, the resource and a role that would allow it when id
// may not do req, and reports whether it may.
func (a *authn) authorize(w http.ResponseWriter, id access.Identity, req access.Request) bool {
	if id.OIDC != nil && req.Project == "" && req.AnyName {
		// An OIDC user has no project of its own, as a token has: apply, which asks this
		// before it reads its body, checks each resource it names instead.
		return true
	}
	err := access.Decide(id, req, a.policies.Get(req.Project))
	if err == nil {
		return true
	}
	writeError(w, http.StatusForbidden, err)
	return false
}

type identityKey struct{}

func withIdentity(ctx context.Context, id access.Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// identity is who the request was authenticated as; the zero Identity on public routes.
func identity(r *http.Request) access.Identity {
	id, _ := r.Context().Value(identityKey{}).(access.Identity)
	return id
}

// authorizeName checks the name a route read from its body (see perm.bodyName).
func (a *api) authorizeName(w http.ResponseWriter, r *http.Request, verb, resource, name string) bool {
	auditName(r, name)
	return a.auth.authorize(w, identity(r), access.Request{Verb: verb, Resource: resource, Project: r.PathValue("project"), Name: name})
}
