package login

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/client"
)

// Options tune Login and Refresh.
type Options struct {
	// Open shows the user the URL to sign in at: opens a browser, or prints it. Required
	// by Login.
	Open func(url string) error
	// HTTPClient reaches the gateway and the provider. Default http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock Refresh compares the ID token's expiry with. Default time.Now.
	Now func() time.Time
}

func (o Options) ctx(ctx context.Context) context.Context {
	if o.HTTPClient == nil {
		return ctx
	}
	return oidc.ClientContext(ctx, o.HTTPClient)
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// Login signs in to the gateway at server with the OIDC provider it names on /auth/config:
// it listens on a free loopback port, has o.Open show the provider's sign-in URL (code
// flow, PKCE S256, state and nonce), takes the redirect, exchanges the code and verifies
// the ID token. It returns the context to record: server, the ID token to send and what
// refreshes it. It returns when ctx ends if the user does not finish.
func Login(ctx context.Context, server string, o Options) (client.Context, error) {
	server = strings.TrimRight(server, "/")
	cfg, err := discover(o.ctx(ctx), server, o.HTTPClient)
	if err != nil {
		return client.Context{}, err
	}
	provider, err := oidc.NewProvider(o.ctx(ctx), cfg.Issuer)
	if err != nil {
		return client.Context{}, fmt.Errorf("discover OIDC issuer %s: %w", cfg.Issuer, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return client.Context{}, fmt.Errorf("listen for the sign-in redirect on loopback: %w", err)
	}
	defer ln.Close()
	oc := oauth2.Config{
		ClientID:    cfg.ClientID,
		Endpoint:    endpoint(provider),
		RedirectURL: "http://" + ln.Addr().String() + "/callback",
		Scopes:      cfg.Scopes,
	}
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	codes := make(chan result, 1)
	srv := &http.Server{Handler: callback(state, codes), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	if err := o.Open(oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))); err != nil {
		return client.Context{}, err
	}
	var code string
	select {
	case r := <-codes:
		if r.err != nil {
			return client.Context{}, r.err
		}
		code = r.code
	case <-ctx.Done():
		return client.Context{}, fmt.Errorf("wait for the sign-in in the browser: %w", ctx.Err())
	}
	tok, err := oc.Exchange(o.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return client.Context{}, fmt.Errorf("exchange the sign-in code at %s: %w", cfg.Issuer, err)
	}
	raw, exp, err := verify(o.ctx(ctx), provider, cfg.ClientID, tok, nonce)
	if err != nil {
		return client.Context{}, err
	}
	return client.Context{Name: server, Server: server, Token: raw,
		OIDC: &client.OIDCLogin{Issuer: cfg.Issuer, ClientID: cfg.ClientID, RefreshToken: tok.RefreshToken, Expiry: exp}}, nil
}

// Refresh gets a new ID token for c when its own expires within a minute, with the
// refresh token dray login kept. It reports whether c changed (then save it). A context
// not made by dray login is left alone.
func Refresh(ctx context.Context, c *client.Context, o Options) (bool, error) {
	if c.OIDC == nil || o.now().Add(time.Minute).Before(c.OIDC.Expiry) {
		return false, nil
	}
	if c.OIDC.RefreshToken == "" {
		return false, fmt.Errorf("the sign-in to %s expired and the provider gave no refresh token: run dray login --server %s", c.Server, c.Server)
	}
	provider, err := oidc.NewProvider(o.ctx(ctx), c.OIDC.Issuer)
	if err != nil {
		return false, fmt.Errorf("discover OIDC issuer %s: %w", c.OIDC.Issuer, err)
	}
	oc := oauth2.Config{ClientID: c.OIDC.ClientID, Endpoint: endpoint(provider)}
	tok, err := oc.TokenSource(o.ctx(ctx), &oauth2.Token{RefreshToken: c.OIDC.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		return false, fmt.Errorf("refresh the sign-in to %s (run dray login --server %s if it keeps failing): %w", c.Server, c.Server, err)
	}
	raw, exp, err := verify(o.ctx(ctx), provider, c.OIDC.ClientID, tok, "")
	if err != nil {
		return false, err
	}
	c.Token, c.OIDC.Expiry = raw, exp
	if tok.RefreshToken != "" {
		c.OIDC.RefreshToken = tok.RefreshToken
	}
	return true, nil
}

// endpoint is the provider's, with the client ID sent in the body: a public client has no
// secret to send with HTTP basic authentication.
func endpoint(p *oidc.Provider) oauth2.Endpoint {
	e := p.Endpoint()
	e.AuthStyle = oauth2.AuthStyleInParams
	return e
}

// verify checks the ID token of tok for clientID (and nonce, when set) and returns it with
// its expiry.
func verify(ctx context.Context, p *oidc.Provider, clientID string, tok *oauth2.Token, nonce string) (string, time.Time, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", time.Time{}, errors.New("the provider sent no ID token: is openid among the gateway's --oidc-scopes?")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, raw)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("verify the ID token: %w", err)
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return "", time.Time{}, errors.New("the ID token is not for this sign-in (nonce)")
	}
	return raw, idt.Expiry, nil
}

// discover reads the gateway's OIDC configuration.
func discover(ctx context.Context, server string, hc *http.Client) (*v1.OIDCConfig, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/auth/config", nil)
	if err != nil {
		return nil, fmt.Errorf("ask %s for its OIDC provider: %w", server, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask %s for its OIDC provider: %w", server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e v1.ErrorResponse
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return nil, fmt.Errorf("ask %s for its OIDC provider: %s: %s", server, resp.Status, e.Error)
	}
	var cfg v1.OIDCConfig
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		return nil, fmt.Errorf("read the OIDC configuration of %s: %w", server, err)
	}
	return &cfg, nil
}

type result struct {
	code string
	err  error
}

// callback takes the provider's redirect to the loopback listener: the code, when the
// state is the one this sign-in sent.
func callback(state string, out chan<- result) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var res result
		switch {
		case q.Get("error") != "":
			res.err = fmt.Errorf("the provider refused the sign-in: %s: %s", q.Get("error"), q.Get("error_description"))
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			http.Error(w, "this is not the sign-in dray login started", http.StatusBadRequest)
			return
		default:
			res.code = q.Get("code")
		}
		select {
		case out <- res:
		default: // a second redirect: the first one counts
		}
		if res.err != nil {
			http.Error(w, res.err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, "Signed in to Dray. You can close this window.")
	})
}
