package gateway

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// startProvider starts an OpenID provider on loopback (mockoidc: discovery, JWKS, code
// flow with PKCE, refresh tokens). It signs in the users queued with QueueUser, approving
// each at once.
func startProvider(t testing.TB) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	m.ClientID, m.ClientSecret = "dray", "dray-client-secret"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// withOIDC turns OIDC on in the gateway at base, with provider m.
func withOIDC(t testing.TB, a *api, base string, m *mockoidc.MockOIDC) {
	t.Helper()
	dir := t.TempDir()
	secret := filepath.Join(dir, "client-secret")
	if err := os.WriteFile(secret, []byte(m.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := OIDCOptions{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecretFile: secret, ExternalURL: base, SessionKeyFile: filepath.Join(dir, "session.key")}
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	o, err := newOIDC(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	a.auth.oidc.Store(o)
}

// user is a user of the provider, in groups.
func user(sub string, groups ...string) *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: sub, Email: sub + "@example.com", EmailVerified: true, Groups: groups}
}

// idToken signs u in at the provider as the CLI does (code flow with PKCE, the browser
// step followed by an HTTP client) and returns its ID token.
func idToken(t testing.TB, m *mockoidc.MockOIDC, u *mockoidc.MockUser) string {
	t.Helper()
	m.QueueUser(u)
	cfg := oauth2.Config{ClientID: m.ClientID, ClientSecret: m.ClientSecret, Endpoint: oauth2.Endpoint{AuthURL: m.AuthorizationEndpoint(), TokenURL: m.TokenEndpoint()},
		RedirectURL: "http://127.0.0.1:1/callback", Scopes: []string{"openid", "email", "groups"}}
	verifier := oauth2.GenerateVerifier()
	resp, err := noRedirect().Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("provider's authorize: %d %q, want a redirect with a code", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := cfg.Exchange(t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("no id_token")
	}
	return raw
}

// signed has the provider sign an ID token for u with cfg changed by edit: another
// audience, another issuer.
func signed(t *testing.T, m *mockoidc.MockOIDC, u *mockoidc.MockUser, edit func(*mockoidc.Config)) string {
	t.Helper()
	s, err := m.SessionStore.NewSession("openid email groups", "", u, "", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := m.Config()
	edit(cfg)
	raw, err := s.IDToken(cfg, m.Keypair, m.Now())
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestOIDCBearer: an ID token of the provider is an identity whose actor is oidc:<sub>
// (<email>); expired, tampered, wrong-audience and wrong-issuer tokens get 401 saying how
// to log in.
func TestOIDCBearer(t *testing.T) {
	base, _, a := testGateway(t)
	m := startProvider(t)
	withOIDC(t, a, base, m)

	good := idToken(t, m, user("ann", "release-managers"))
	code, who := whoami(t, base, good)
	if code != http.StatusOK || who.Actor != "oidc:ann (ann@example.com)" {
		t.Fatalf("whoami with a valid ID token: %d %+v, want 200 as oidc:ann (ann@example.com)", code, who)
	}

	m.FastForward(-2 * time.Hour)
	expired := idToken(t, m, user("ann", "release-managers"))
	m.FastForward(2 * time.Hour)

	other := startProvider(t)
	other.ClientID = m.ClientID
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"release-managers"`, `"platform-admins"`, 1)))
	tampered := strings.Join(parts, ".")

	for name, tc := range map[string]struct{ tok, want string }{
		"expired":                {expired, "expired"},
		"tampered":               {tampered, "signature"},
		"wrong audience":         {signed(t, m, user("ann"), func(c *mockoidc.Config) { c.ClientID = "another-app" }), "audience"},
		"wrong issuer, same key": {signed(t, m, user("ann"), func(c *mockoidc.Config) { c.Issuer = "https://evil.example.com/oidc" }), "different provider"},
		"another provider":       {idToken(t, other, user("ann")), "different provider"},
		"not a JWT":              {"a.b.c", "malformed"},
	} {
		code, e := sendAs(t, tc.tok, http.MethodGet, base+"/api/v1/whoami", "")
		if code != http.StatusUnauthorized || !strings.Contains(e.Error, tc.want) || !strings.Contains(e.Error, "dray login") {
			t.Errorf("%s ID token: %d %q, want 401 naming %q and how to log in", name, code, e.Error, tc.want)
		}
	}
	if tampered == good {
		t.Fatal("tampering changed nothing")
	}
}

func whoami(t *testing.T, base, tok string) (int, v1.WhoAmI) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var w v1.WhoAmI
	_ = json.NewDecoder(resp.Body).Decode(&w)
	return resp.StatusCode, w
}

// browser signs u in to the gateway at base as a browser does: /auth/login, the provider's
// authorize (which approves at once), /auth/callback, each redirect followed with a cookie
// jar. It returns the client holding the session cookie and the CSRF token.
func browser(t *testing.T, base string, m *mockoidc.MockOIDC, u *mockoidc.MockUser) (*http.Client, string) {
	t.Helper()
	m.QueueUser(u)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), m.AuthorizationEndpoint()) {
			q := req.URL.Query()
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
				t.Errorf("authorize request %s lacks PKCE (S256), nonce or state", req.URL)
			}
		}
		if req.URL.Path == "/" {
			return http.ErrUseLastResponse // signed in: the gateway sends the browser home
		}
		return nil
	}}
	resp, err := c.Get(base + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("sign-in ended with %d, want a redirect home", resp.StatusCode)
	}
	var csrf string
	gw, _ := url.Parse(base)
	for _, ck := range jar.Cookies(gw) {
		if ck.Name == csrfCookie {
			csrf = ck.Value
		}
	}
	if csrf == "" {
		t.Fatal("no CSRF cookie after sign-in")
	}
	return c, csrf
}

// TestBrowserSignIn: code flow with PKCE and a sealed, HttpOnly session cookie; a change
// signed in by cookie needs the CSRF header; the callback refuses a state it did not start.
func TestBrowserSignIn(t *testing.T) {
	base, _, a := testGateway(t)
	m := startProvider(t)
	withOIDC(t, a, base, m)

	// The cookies as set, before a jar hides their attributes.
	m.QueueUser(user("bob"))
	resp, err := noRedirect().Get(base + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	login := resp.Cookies()
	if len(login) != 1 || login[0].Name != loginCookie || !login[0].HttpOnly || login[0].SameSite != http.SameSiteLaxMode || strings.Contains(login[0].Value, "verifier") {
		t.Fatalf("login cookie %+v: want one sealed, HttpOnly, SameSite=Lax cookie", login)
	}
	authz, _ := url.Parse(resp.Header.Get("Location"))
	resp, err = noRedirect().Get(authz.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb := resp.Header.Get("Location")
	if !strings.HasPrefix(cb, base+"/auth/callback?") {
		t.Fatalf("provider redirected to %q, want the gateway's callback", cb)
	}
	// A callback without the browser's login cookie, or with another state, is refused.
	for name, u := range map[string]string{"no login cookie": cb, "forged state": strings.Replace(cb, "state=", "state=x", 1)} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if name != "no login cookie" {
			req.AddCookie(login[0])
		}
		resp, err := noRedirect().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || len(sessionCookies(resp)) != 0 {
			t.Errorf("callback with %s: %d, want 401 and no session", name, resp.StatusCode)
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, cb, nil)
	req.AddCookie(login[0])
	resp, err = noRedirect().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sess := sessionCookies(resp)
	if resp.StatusCode != http.StatusFound || len(sess) != 1 || !sess[0].HttpOnly || sess[0].Secure || sess[0].SameSite != http.SameSiteLaxMode || strings.Contains(sess[0].Value, "bob") {
		t.Fatalf("callback: %d, session cookie %+v: want one sealed HttpOnly SameSite=Lax cookie (not Secure on http)", resp.StatusCode, sess)
	}
	// The code was used: replaying the callback signs nobody in.
	resp, err = noRedirect().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed callback: %d, want 401", resp.StatusCode)
	}

	c, csrf := browser(t, base, m, user("carol"))
	call := func(method, path, csrfValue string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(`{"name":"x","role":"viewer"}`))
		if csrfValue != "" {
			req.Header.Set(csrfHeader, csrfValue)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e v1.ErrorResponse
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error
	}
	if code, _ := call(http.MethodGet, "/api/v1/whoami", ""); code != http.StatusOK {
		t.Errorf("GET whoami with the session cookie: %d, want 200", code)
	}
	for _, h := range []string{"", "forged"} {
		if code, e := call(http.MethodPost, "/api/v1/projects/demo/tokens", h); code != http.StatusForbidden || !strings.Contains(e, csrfHeader) {
			t.Errorf("POST with %s %q: %d %q, want 403 asking for the CSRF header", csrfHeader, h, code, e)
		}
	}
	// With the header, the request gets to authorization: carol has no role in demo.
	code, e := 0, v1.ErrorResponse{}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v1/projects/demo/tokens", strings.NewReader(`{}`))
	req.Header.Set(csrfHeader, csrf)
	if resp, err := c.Do(req); err == nil {
		code = resp.StatusCode
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
	}
	if code != http.StatusForbidden || !strings.Contains(e.Error, "oidc:carol") || !strings.Contains(e.Error, "claims map to no ServiceAccount") {
		t.Errorf("POST with the CSRF header: %d %q, want 403 for carol's missing role", code, e.Error)
	}
	call(http.MethodPost, "/auth/logout", "")
	if code, _ := call(http.MethodGet, "/api/v1/whoami", ""); code != http.StatusUnauthorized {
		t.Errorf("whoami after logout: %d, want 401", code)
	}
}

func sessionCookies(resp *http.Response) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.MaxAge >= 0 {
			out = append(out, c)
		}
	}
	return out
}

// oidcRoles maps groups to the roles of project demo: developers act as the developer
// ServiceAccount (which releaseManagers limits to promoting dev), release-managers as
// release-managers (bound to promote prod).
const oidcRoles = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: developer
  namespace: demo
  annotations: {rbac.kargo.akuity.io/claim.groups: "developers, contractors"}
`

// TestOIDCPromoteByStage: an OIDC user in group release-managers promotes prod, signed in
// by browser (cookie and CSRF header); a member of developers, sending its ID token as the
// CLI does, is refused prod and promotes dev. The actor is the OIDC user.
func TestOIDCPromoteByStage(t *testing.T) {
	base, _, a := testGateway(t)
	m := startProvider(t)
	withOIDC(t, a, base, m)
	for _, doc := range []string{demoPipeline(), releaseManagers, oidcRoles} {
		if code, e := send(t, http.MethodPost, base+"/api/v1/resources", doc); code != http.StatusOK {
			t.Fatalf("apply: %d %s", code, e.Error)
		}
	}
	dev := idToken(t, m, user("dave", "developers"))
	rm, csrf := browser(t, base, m, user("rita", "release-managers"))
	promoteAsRM := func(stage string) (int, v1.ErrorResponse) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v1/projects/demo/promotions",
			strings.NewReader(`{"stage":"`+stage+`","freight":"first","actor":"email:someone-else@example.com"}`))
		req.Header.Set(csrfHeader, csrf)
		resp, err := rm.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e v1.ErrorResponse
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e
	}
	promoteAsDev := func(stage string) (int, v1.ErrorResponse) {
		return sendAs(t, dev, http.MethodPost, base+"/api/v1/projects/demo/promotions", `{"stage":"`+stage+`","freight":"first"}`)
	}
	// The gateway's index takes the roles one by one: wait until rita maps to hers.
	waitFor(t, func() bool { code, _ := promoteAsRM("prod"); return code == http.StatusAccepted }, "release manager promotes prod")
	if got := lastActor(t, a, "promote"); got != "oidc:rita (rita@example.com)" {
		t.Errorf("promote command actor = %q, want oidc:rita (rita@example.com)", got)
	}
	if code, e := promoteAsDev("prod"); code != http.StatusForbidden || !strings.Contains(e.Error, "promote stages/prod") || !strings.Contains(e.Error, "release-managers role") {
		t.Errorf("developer promotes prod: %d %q, want 403 naming the verb, the Stage and the release-managers role", code, e.Error)
	}
	if code, e := promoteAsDev("dev"); code != http.StatusAccepted {
		t.Errorf("developer promotes dev: %d %s, want 202", code, e.Error)
	}
	if got := lastActor(t, a, "promote"); got != "oidc:dave (dave@example.com)" {
		t.Errorf("promote command actor = %q, want oidc:dave (dave@example.com)", got)
	}
	if code, _ := promoteAsRM("dev"); code != http.StatusForbidden {
		t.Errorf("release manager promotes dev: %d, want 403", code)
	}
	// Projects listed are those the user maps to a role in.
	code, body := 0, []string(nil)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/projects", nil)
	req.Header.Set("Authorization", "Bearer "+dev)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		code = resp.StatusCode
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
	}
	if code != http.StatusOK || strings.Join(body, ",") != "demo" {
		t.Errorf("projects of a developer: %d %v, want [demo]", code, body)
	}
	stranger := idToken(t, m, user("sam", "sales"))
	if code, e := sendAs(t, stranger, http.MethodPost, base+"/api/v1/projects/demo/promotions", `{"stage":"dev","freight":"first"}`); code != http.StatusForbidden || !strings.Contains(e.Error, "no ServiceAccount") {
		t.Errorf("unmapped user promotes dev: %d %q, want 403", code, e.Error)
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestOIDCOff: without OIDC the sign-in routes say how to turn it on, and an ID token is
// an unknown token.
func TestOIDCOff(t *testing.T) {
	base, _, _ := testGateway(t)
	for _, p := range []string{"/auth/login", "/auth/config", "/auth/callback?code=x&state=y"} {
		code, e := sendAs(t, "", http.MethodGet, base+p, "")
		if code != http.StatusNotFound || !strings.Contains(e.Error, "--oidc-issuer") {
			t.Errorf("GET %s without OIDC: %d %q, want 404 saying how to turn it on", p, code, e.Error)
		}
	}
}

// BenchmarkAuthOIDC measures what authentication and authorization add to a request with a
// bearer ID token, once verified (the cache of verified tokens answers): the middleware
// around a handler that does nothing. It reports the median (p50-ns) beside the mean.
func BenchmarkAuthOIDC(b *testing.B) {
	base, mux, a := testGateway(b)
	m := startProvider(b)
	withOIDC(b, a, base, m)
	tok := idToken(b, m, user("bench", "developers"))
	mux.HandleFunc("GET /bench/{project}/stages/{name}", anyIdentity(), func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	req := httptest.NewRequest(http.MethodGet, "/bench/demo/stages/prod", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		times = append(times, time.Since(start))
		if w.Code != http.StatusNoContent {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "p50-ns")
}

// TestExternalURLChecked: --external-url is checked even without OIDC, since it is also
// ctx.uiBaseUrl in promotion expressions.
func TestExternalURLChecked(t *testing.T) {
	for _, u := range []string{"dray.example.com", "ftp://dray.example.com", "https://"} {
		if err := (&OIDCOptions{ExternalURL: u}).Validate(); err == nil || !strings.Contains(err.Error(), "--external-url") {
			t.Errorf("Validate(--external-url %q) = %v, want an error naming --external-url", u, err)
		}
	}
	if err := (&OIDCOptions{ExternalURL: "https://dray.example.com"}).Validate(); err != nil {
		t.Errorf("Validate(https URL) = %v", err)
	}
}
