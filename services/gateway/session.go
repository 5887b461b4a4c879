package gateway

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Cookies and headers of the browser sign-in.
const (
	// sessionCookie holds the signed-in user, sealed (AES and HMAC of securecookie): the
	// browser can neither read nor forge it. HttpOnly; SameSite=Lax; Secure over https.
	sessionCookie = "dray_session"
	// loginCookie holds state, nonce and PKCE verifier between /auth/login and
	// /auth/callback, sealed like the session, for loginTTL.
	loginCookie = "dray_login"
	// csrfCookie holds the session's CSRF token for the page's scripts to echo in
	// csrfHeader (a double submit checked against the sealed session).
	csrfCookie = "dray_csrf"
	// csrfHeader must carry the session's CSRF token on every request that changes
	// something (any method but GET, HEAD and OPTIONS) authenticated by the cookie.
	csrfHeader = "X-Dray-CSRF"

	callbackPath = "/auth/callback"
	loginTTL     = 10 * time.Minute
	// maxSession bounds a session whatever the ID token says.
	maxSession = 24 * time.Hour
)

// errCSRF refuses a cookie-authenticated change without the session's CSRF token.
var errCSRF = errors.New("missing or wrong " + csrfHeader + " header: a request signed in by cookie that changes something must echo the " + csrfCookie + " cookie in it")

// session is what the session cookie seals: the user and when the session ends.
type session struct {
	Subject string              `json:"sub"`
	Email   string              `json:"email,omitempty"`
	Claims  map[string][]string `json:"claims,omitempty"`
	CSRF    string              `json:"csrf"`
	Expires int64               `json:"exp"`
}

// loginState is what the login cookie seals.
type loginState struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Return   string `json:"return,omitempty"`
}

// sessions seals and opens the cookies of the browser sign-in.
type sessions struct {
	session, login *securecookie.SecureCookie
}

// newSessions reads the 64-byte key at keyFile, creating it (0600) when missing: 32 bytes
// sign cookies, 32 encrypt them. An empty keyFile uses a new key.
func newSessions(keyFile string) (*sessions, error) {
	key, err := sessionKey(keyFile)
	if err != nil {
		return nil, err
	}
	mk := func(maxAge time.Duration) *securecookie.SecureCookie {
		return securecookie.New(key[:32], key[32:]).SetSerializer(securecookie.JSONEncoder{}).MaxAge(int(maxAge.Seconds()))
	}
	return &sessions{session: mk(maxSession), login: mk(loginTTL)}, nil
}

func sessionKey(keyFile string) ([]byte, error) {
	if keyFile == "" {
		return securecookie.GenerateRandomKey(64), nil
	}
	key, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		key = securecookie.GenerateRandomKey(64)
		f, err := os.OpenFile(keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create --session-key-file: %w", err)
		}
		_, err = f.Write(key)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("write --session-key-file: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read --session-key-file: %w", err)
	}
	if len(key) != 64 {
		return nil, fmt.Errorf("--session-key-file %s holds %d bytes, want 64: delete it to have a new one made", keyFile, len(key))
	}
	return key, nil
}

// oidcRoutes registers the browser sign-in and the CLI's discovery of it. They are open to
// anyone; the callback proves the sign-in by state, nonce and PKCE. Without OIDC they answer
// 404 saying how to turn it on.
func oidcRoutes(mux router, a *authn) {
	// a.oidc is read at each request: OIDC may be turned on after the routes are built.
	mux.HandleFunc("GET /auth/config", public(), func(w http.ResponseWriter, r *http.Request) { a.oidc.Load().config(w, r) })
	mux.HandleFunc("GET /auth/login", public(), func(w http.ResponseWriter, r *http.Request) { a.oidc.Load().login(w, r) })
	mux.HandleFunc("GET "+callbackPath, public(), func(w http.ResponseWriter, r *http.Request) { a.oidc.Load().callback(w, r) })
	mux.HandleFunc("/auth/logout", public(), func(w http.ResponseWriter, r *http.Request) { a.oidc.Load().logout(w, r) })
}

func (o *oidcAuth) config(w http.ResponseWriter, _ *http.Request) {
	if o == nil {
		writeError(w, http.StatusNotFound, errNoOIDC)
		return
	}
	reply(w, v1.OIDCConfig{Issuer: o.opts.Issuer, ClientID: o.opts.CLIClientID, Scopes: o.opts.Scopes}, nil)
}

// login starts the authorization code flow with PKCE: it seals a new state, nonce and
// verifier in the login cookie and sends the browser to the provider.
func (o *oidcAuth) login(w http.ResponseWriter, r *http.Request) {
	if o == nil {
		writeError(w, http.StatusNotFound, errNoOIDC)
		return
	}
	st := loginState{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Return: localPath(r.URL.Query().Get("return"))}
	if err := o.setCookie(w, o.sessions.login, loginCookie, st, loginTTL, true); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	http.Redirect(w, r, o.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), http.StatusFound)
}

// callback ends the flow: the state must be the login cookie's, the code is exchanged with
// the PKCE verifier, and the ID token must be valid and carry the nonce. It leaves the
// session and CSRF cookies set and the login cookie cleared.
func (o *oidcAuth) callback(w http.ResponseWriter, r *http.Request) {
	if o == nil {
		writeError(w, http.StatusNotFound, errNoOIDC)
		return
	}
	fail := func(err error) {
		writeError(w, http.StatusUnauthorized, fmt.Errorf("sign-in failed: %w: start again at /auth/login", err))
	}
	var st loginState
	c, err := r.Cookie(loginCookie)
	if err != nil || o.sessions.login.Decode(loginCookie, c.Value, &st) != nil {
		fail(errors.New("no sign-in in progress in this browser (or it took longer than 10 minutes)"))
		return
	}
	o.clearCookie(w, loginCookie, true)
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		fail(fmt.Errorf("the provider answered %s: %s", e, q.Get("error_description")))
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		fail(errors.New("state does not match the sign-in this browser started"))
		return
	}
	tok, err := o.oauth.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		fail(fmt.Errorf("exchange the code: %w", err))
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		fail(errors.New("the provider sent no ID token (is openid among --oidc-scopes?)"))
		return
	}
	idt, err := o.verifier.Verify(r.Context(), raw)
	if err != nil {
		fail(fmt.Errorf("invalid ID token: %w", err))
		return
	}
	if !o.audienceOK(idt.Audience) || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		fail(errors.New("the ID token is not for this sign-in (audience or nonce)"))
		return
	}
	u, err := o.user(idt)
	if err != nil {
		fail(err)
		return
	}
	exp := idt.Expiry
	if limit := time.Now().Add(maxSession); exp.After(limit) {
		exp = limit
	}
	s := session{Subject: u.Subject, Email: u.Email, Claims: u.Claims, CSRF: rand.Text(), Expires: exp.Unix()}
	if err := o.setCookie(w, o.sessions.session, sessionCookie, s, time.Until(exp), true); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: s.CSRF, Path: "/", Expires: exp, Secure: o.secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, cmp.Or(st.Return, "/"), http.StatusFound)
}

// logout clears the session cookies. It does not sign the user out of the provider.
func (o *oidcAuth) logout(w http.ResponseWriter, r *http.Request) {
	if o == nil {
		writeError(w, http.StatusNotFound, errNoOIDC)
		return
	}
	o.clearCookie(w, sessionCookie, true)
	o.clearCookie(w, csrfCookie, false)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// fromSession authenticates r by its session cookie. ok is false when r has none; err is
// set when it has one that does not do (errCSRF for a change without the CSRF token).
func (o *oidcAuth) fromSession(r *http.Request, now time.Time) (id access.Identity, ok bool, err error) {
	c, cerr := r.Cookie(sessionCookie)
	if o == nil || cerr != nil {
		return access.Identity{}, false, nil
	}
	var s session
	if err := o.sessions.session.Decode(sessionCookie, c.Value, &s); err != nil {
		return access.Identity{}, true, errors.New("invalid or expired session cookie: sign in again at /auth/login")
	}
	if now.Unix() >= s.Expires {
		return access.Identity{}, true, errors.New("session expired: sign in again at /auth/login")
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(s.CSRF)) != 1 {
			return access.Identity{}, true, errCSRF
		}
	}
	return access.Identity{OIDC: &access.OIDCUser{Subject: s.Subject, Email: s.Email, Claims: s.Claims}}, true, nil
}

func (o *oidcAuth) setCookie(w http.ResponseWriter, codec *securecookie.SecureCookie, name string, v any, ttl time.Duration, httpOnly bool) error {
	enc, err := codec.Encode(name, v)
	if err != nil {
		return fmt.Errorf("seal %s cookie: %w", name, err)
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: enc, Path: "/", MaxAge: int(ttl.Seconds()), HttpOnly: httpOnly, Secure: o.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

func (o *oidcAuth) clearCookie(w http.ResponseWriter, name string, httpOnly bool) {
	http.SetCookie(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1, HttpOnly: httpOnly, Secure: o.secure, SameSite: http.SameSiteLaxMode})
}

// localPath keeps a return path on this gateway: a path starting with one slash, else "".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return ""
	}
	return p
}
