package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/drayhq/dray/pkg/access"
	"github.com/drayhq/dray/pkg/token"
)

// OIDCOptions configure sign-in with an OpenID Connect provider (README.md, "Access
// control"). The gateway reads the provider's discovery document and keys from Issuer,
// verifies ID tokens sent as bearer tokens (by dray login) and runs the browser sign-in
// (authorization code + PKCE) on /auth/login and /auth/callback. Unset Issuer turns OIDC
// off.
type OIDCOptions struct {
	// Issuer is the provider's issuer URL. Default $DRAY_OIDC_ISSUER.
	Issuer string
	// ClientID is the gateway's client at the provider; ID tokens must name it (or
	// CLIClientID) as their audience. Default $DRAY_OIDC_CLIENT_ID.
	ClientID string
	// ClientSecretFile holds the secret of ClientID, which the browser sign-in sends to the
	// token endpoint. Default $DRAY_OIDC_CLIENT_SECRET_FILE. There is no option taking the
	// secret itself: it would show in ps.
	ClientSecretFile string
	// CLIClientID is the public client dray login signs in with (loopback redirect,
	// PKCE, no secret). Default ClientID.
	CLIClientID string
	// ExternalURL is the gateway's URL as browsers reach it; the provider redirects to
	// ExternalURL/auth/callback, and session cookies are Secure when it is https. Default
	// $DRAY_EXTERNAL_URL, else the address the gateway listens on (right for loopback, not
	// behind a proxy or on all interfaces).
	ExternalURL string
	// Scopes are asked of the provider. Default openid, profile, email, groups.
	Scopes []string
	// Claims are the claims roles are mapped from (README.md, "Access control"). Default
	// sub, email, groups.
	Claims []string
	// SessionKeyFile holds the key that seals session cookies (created, 0600, when
	// missing). Gateways behind one address share it. Default $DRAY_SESSION_KEY_FILE;
	// empty: a new key at each start, which ends every session.
	SessionKeyFile string
}

var (
	defaultScopes = []string{oidc.ScopeOpenID, "profile", "email", "groups"}
	defaultClaims = []string{"sub", "email", "groups"}
)

// BindFlags registers the options as flags.
func (o *OIDCOptions) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Issuer, "oidc-issuer", os.Getenv("DRAY_OIDC_ISSUER"), "OIDC issuer URL: sign in with OIDC ($DRAY_OIDC_ISSUER)")
	fs.StringVar(&o.ClientID, "oidc-client-id", os.Getenv("DRAY_OIDC_CLIENT_ID"), "OIDC client ID of the gateway ($DRAY_OIDC_CLIENT_ID)")
	fs.StringVar(&o.ClientSecretFile, "oidc-client-secret-file", os.Getenv("DRAY_OIDC_CLIENT_SECRET_FILE"), "file holding the OIDC client secret ($DRAY_OIDC_CLIENT_SECRET_FILE)")
	fs.StringVar(&o.CLIClientID, "oidc-cli-client-id", os.Getenv("DRAY_OIDC_CLI_CLIENT_ID"), "public OIDC client ID dray login uses ($DRAY_OIDC_CLI_CLIENT_ID; default --oidc-client-id)")
	fs.StringVar(&o.ExternalURL, "external-url", os.Getenv("DRAY_EXTERNAL_URL"), "the gateway's URL as browsers reach it: ctx.uiBaseUrl in promotion expressions, and the OIDC redirect URL is <url>/auth/callback ($DRAY_EXTERNAL_URL)")
	fs.StringVar(&o.SessionKeyFile, "session-key-file", os.Getenv("DRAY_SESSION_KEY_FILE"), "key sealing session cookies, created when missing ($DRAY_SESSION_KEY_FILE)")
	fs.Func("oidc-scopes", "comma-separated scopes to ask the OIDC provider (default openid,profile,email,groups)", func(s string) error {
		o.Scopes = splitList(s)
		return nil
	})
	fs.Func("oidc-claims", "comma-separated ID token claims roles are mapped from (default sub,email,groups)", func(s string) error {
		o.Claims = splitList(s)
		return nil
	})
}

// Validate reports every problem at once.
func (o *OIDCOptions) Validate() error {
	var errs []error
	if u, err := url.Parse(o.ExternalURL); o.ExternalURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, fmt.Errorf("--external-url %q is not the gateway's http(s) URL", o.ExternalURL))
	}
	if o.Issuer == "" {
		return errors.Join(errs...)
	}
	if u, err := url.Parse(o.Issuer); err != nil || u.Host == "" {
		errs = append(errs, fmt.Errorf("--oidc-issuer %q is not a URL", o.Issuer))
	}
	if o.ClientID == "" {
		errs = append(errs, errors.New("--oidc-issuer needs --oidc-client-id"))
	}
	if o.ClientSecretFile == "" {
		errs = append(errs, errors.New("--oidc-issuer needs --oidc-client-secret-file (the browser sign-in is a confidential client)"))
	}
	return errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// oidcAuth verifies ID tokens of the configured provider and runs the browser sign-in. A nil
// *oidcAuth is OIDC turned off. It is safe for concurrent use.
type oidcAuth struct {
	opts     OIDCOptions
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
	sessions *sessions
	// secure marks cookies Secure: the external URL is https.
	secure bool
	cache  idCache
}

// newOIDC discovers the provider of opts and reads the client secret and the session key.
func newOIDC(ctx context.Context, opts OIDCOptions) (*oidcAuth, error) {
	if opts.CLIClientID == "" {
		opts.CLIClientID = opts.ClientID
	}
	if len(opts.Scopes) == 0 {
		opts.Scopes = defaultScopes
	}
	if len(opts.Claims) == 0 {
		opts.Claims = defaultClaims
	}
	secret, err := os.ReadFile(opts.ClientSecretFile)
	if err != nil {
		return nil, fmt.Errorf("read --oidc-client-secret-file: %w", err)
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	provider, err := oidc.NewProvider(dctx, opts.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover OIDC issuer %s (check --oidc-issuer and that the provider is up): %w", opts.Issuer, err)
	}
	sess, err := newSessions(opts.SessionKeyFile)
	if err != nil {
		return nil, err
	}
	external := strings.TrimRight(opts.ExternalURL, "/")
	return &oidcAuth{
		opts: opts,
		// The audience is checked by audienceOK: the gateway's client or the CLI's.
		verifier: provider.Verifier(&oidc.Config{SkipClientIDCheck: true}),
		oauth: oauth2.Config{
			ClientID:     opts.ClientID,
			ClientSecret: strings.TrimSpace(string(secret)),
			Endpoint:     provider.Endpoint(),
			RedirectURL:  external + callbackPath,
			Scopes:       opts.Scopes,
		},
		sessions: sess,
		secure:   strings.HasPrefix(external, "https://"),
		cache:    idCache{entries: map[[32]byte]cachedID{}},
	}, nil
}

// errNoOIDC answers OIDC requests of a gateway without OIDC.
var errNoOIDC = errors.New("OIDC sign-in is not configured on this gateway: start it with --oidc-issuer, --oidc-client-id, --oidc-client-secret-file and --external-url, or use an API token")

// verify checks a raw ID token: signature by the issuer's keys, issuer, audience (the
// gateway's or the CLI's client) and expiry. It returns the user it names.
func (o *oidcAuth) verify(ctx context.Context, raw string) (*access.OIDCUser, time.Time, error) {
	tok, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("invalid OIDC ID token: %w", err)
	}
	if !o.audienceOK(tok.Audience) {
		return nil, time.Time{}, fmt.Errorf("invalid OIDC ID token: audience %v is neither %q nor %q", tok.Audience, o.opts.ClientID, o.opts.CLIClientID)
	}
	u, err := o.user(tok)
	return u, tok.Expiry, err
}

func (o *oidcAuth) audienceOK(aud []string) bool {
	return slices.Contains(aud, o.opts.ClientID) || slices.Contains(aud, o.opts.CLIClientID)
}

// user reads the claims roles are mapped from: strings, and lists of strings (groups).
func (o *oidcAuth) user(tok *oidc.IDToken) (*access.OIDCUser, error) {
	var all map[string]any
	if err := tok.Claims(&all); err != nil {
		return nil, fmt.Errorf("read OIDC ID token claims: %w", err)
	}
	u := &access.OIDCUser{Subject: tok.Subject, Claims: access.Claims{}}
	if e, ok := all["email"].(string); ok {
		u.Email = e
	}
	for _, name := range o.opts.Claims {
		switch v := all[name].(type) {
		case string:
			u.Claims[name] = []string{v}
		case []any:
			for _, item := range v {
				if s, ok := item.(string); ok {
					u.Claims[name] = append(u.Claims[name], s)
				}
			}
		}
	}
	return u, nil
}

// bearer authenticates an ID token sent as a bearer token, from the cache of tokens already
// verified when it holds it: signature checks are what cost.
func (o *oidcAuth) bearer(ctx context.Context, raw string, now time.Time) (access.Identity, error) {
	key := sha256.Sum256([]byte(raw))
	if id, ok := o.cache.get(key, now); ok {
		return id, nil
	}
	u, exp, err := o.verify(ctx, raw)
	if err != nil {
		return access.Identity{}, err
	}
	id := access.Identity{OIDC: u}
	o.cache.put(key, id, exp)
	return id, nil
}

// idCache keeps the identities of verified ID tokens, by the token's SHA-256, until they
// expire. It holds at most maxCachedIDs and starts over when full.
type idCache struct {
	mu      sync.Mutex
	entries map[[32]byte]cachedID
}

type cachedID struct {
	id  access.Identity
	exp time.Time
}

const maxCachedIDs = 4096

func (c *idCache) get(key [32]byte, now time.Time) (access.Identity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.exp) {
		return access.Identity{}, false
	}
	return e.id, true
}

func (c *idCache) put(key [32]byte, id access.Identity, exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedIDs {
		clear(c.entries)
	}
	c.entries[key] = cachedID{id: id, exp: exp}
}

// looksLikeJWT tells an ID token (three base64url parts) from an API token.
func looksLikeJWT(s string) bool {
	return strings.Count(s, ".") == 2 && !strings.HasPrefix(s, token.Prefix)
}
