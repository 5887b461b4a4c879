package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/drayhq/dray/cmd/dray/allinone"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/services/gateway"
)

// publicProvider starts an OpenID provider on loopback (mockoidc) that signs in u at once.
// mockoidc knows confidential clients only; dray login is a public client (PKCE, no
// secret), so a middleware supplies the secret to token requests that come without one, as
// a provider with a public client would not ask for it. sentSecret counts requests that
// carried one.
func publicProvider(t *testing.T, u *mockoidc.MockUser) (*mockoidc.MockOIDC, *atomic.Int32) {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	m.ClientID, m.ClientSecret = "dray", "dray-client-secret"
	sentSecret := new(atomic.Int32)
	_ = m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == mockoidc.TokenEndpoint && r.ParseForm() == nil {
				if r.PostForm.Get("client_secret") != "" || r.Header.Get("Authorization") != "" {
					sentSecret.Add(1)
				}
				r.Form.Set("client_secret", m.ClientSecret)
			}
			next.ServeHTTP(w, r)
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	for range 3 {
		m.QueueUser(u)
	}
	return m, sentSecret
}

// TestLogin: dray login signs in through the gateway's provider with the loopback redirect
// (the printed URL followed by an HTTP client, as a browser would), keeps the tokens 0600 in
// the dray config, and later commands send the ID token, refreshing it once it expired.
func TestLogin(t *testing.T) {
	m, sentSecret := publicProvider(t, &mockoidc.MockUser{Subject: "dave", Email: "dave@example.com", Groups: []string{"developers"}})
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(m.ClientSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", NATSPort: -1,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executor: executor.Options{CacheDir: t.TempDir()},
		OIDC:     gateway.OIDCOptions{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecretFile: secret},
	})
	if err != nil {
		t.Fatalf("dray up: %v", err)
	}
	t.Cleanup(in.Stop)
	server := in.URL
	adminTokens.Store(server, in.AdminToken)
	config := filepath.Join(t.TempDir(), "dray", "config.yaml")
	t.Setenv("DRAY_CONFIG", config)
	t.Setenv("DRAY_TOKEN", "")

	dir := writeManifests(t, map[string]string{"project.yaml": project, "developers.yaml": `apiVersion: v1
kind: ServiceAccount
metadata:
  name: developer
  namespace: shop
  annotations: {rbac.kargo.akuity.io/claim.groups: developers}
`})
	if out, err := dray(t, server, "apply", "-f", dir); err != nil {
		t.Fatalf("dray apply: %v\n%s", err, out)
	}

	// dray login --no-browser prints the URL; the "browser" follows it to the loopback
	// redirect.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var out strings.Builder
	go func() {
		root := newRoot()
		root.SetArgs([]string{"--server", server, "login", "--no-browser", "--timeout", "2m"})
		root.SetOut(io.MultiWriter(pw, &out))
		root.SetErr(io.Discard)
		done <- root.ExecuteContext(t.Context())
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u := sc.Text(); strings.HasPrefix(u, m.AuthorizationEndpoint()) {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatalf("follow the sign-in URL: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Signed in") {
				t.Errorf("loopback redirect answered %d %q", resp.StatusCode, body)
			}
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if err := <-done; err != nil {
		t.Fatalf("dray login: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "as oidc:dave (dave@example.com)") {
		t.Errorf("dray login printed %q, want it to name oidc:dave (dave@example.com)", out.String())
	}
	if n := sentSecret.Load(); n != 0 {
		t.Errorf("dray login sent a client secret %d times; it is a public client", n)
	}
	st, err := os.Stat(config)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("dray config %v, %v: want it readable by its owner alone", st, err)
	}
	cfg, err := client.LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	first, ok := cfg.Current()
	if !ok || first.Server != server || first.OIDC == nil || first.OIDC.RefreshToken == "" || strings.Count(first.Token, ".") != 2 {
		t.Fatalf("current context after dray login: server %q, refresh token kept %v: want the server with an ID token and a refresh token", first.Server, first.OIDC != nil && first.OIDC.RefreshToken != "")
	}

	// A command as the signed-in user, with no flags: the context's ID token.
	asUser := func() string {
		t.Helper()
		root := newRoot()
		var out strings.Builder
		root.SetArgs([]string{"--server", server, "get", "stages", "-p", "shop"})
		root.SetOut(&out)
		root.SetErr(&out)
		if err := root.ExecuteContext(t.Context()); err != nil {
			t.Fatalf("dray get stages as the signed-in user: %v\n%s", err, out.String())
		}
		return out.String()
	}
	asUser()

	// Once the ID token expired, the next command refreshes it and keeps the new one.
	first.OIDC.Expiry = time.Now().Add(-time.Minute)
	cfg.Update(first)
	if err := cfg.Save(config); err != nil {
		t.Fatal(err)
	}
	m.FastForward(time.Minute) // a later token than the first
	asUser()
	cfg, err = client.LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := cfg.Current()
	if second.Token == first.Token || second.OIDC == nil || !second.OIDC.Expiry.After(time.Now()) {
		t.Errorf("after expiry the context was not refreshed (same token: %v)", second.Token == first.Token)
	}
	if n := sentSecret.Load(); n != 0 {
		t.Errorf("refresh sent a client secret %d times; it is a public client", n)
	}
}
