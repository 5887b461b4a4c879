package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"

	"github.com/drayhq/dray/cmd/dray/allinone"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/services/gateway"
)

// accessManifests: projects shop and other, each with a Warehouse, a Freight and Stages dev
// and prod; in shop, developers (the built-in developer role, replaced) promote dev only, and
// prod belongs to the group release-managers — README.md's "Access control" binding.
const accessManifests = `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata: {name: PROJECT}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: web, namespace: PROJECT}
spec:
  interval: 24h
  subscriptions:
  - image: {repoURL: 127.0.0.1:1/shop/web}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Freight
metadata: {name: f1, namespace: PROJECT}
alias: quiet-lynx
origin: {kind: Warehouse, name: web}
images:
- {repoURL: ghcr.io/shop/web, tag: v2.0.1}
---
STAGE dev
---
STAGE prod
`

const accessStage = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: NAME, namespace: PROJECT}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
      - {uses: compose-output, as: deploy, config: {tag: "${{ ctx.targetFreight.name }}"}}
`

const accessRoles = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: developer, namespace: shop}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch]}
- {apiGroups: [kargo.akuity.io], resources: [stages], resourceNames: [dev], verbs: [promote]}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: developer
  namespace: shop
  annotations: {rbac.kargo.akuity.io/claim.groups: developers}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: release-managers
  namespace: shop
  annotations: {rbac.kargo.akuity.io/claim.groups: release-managers}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: prod-promoter, namespace: shop}
rules:
- {apiGroups: [kargo.akuity.io], resources: [stages], resourceNames: [prod], verbs: [promote, approve]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: release-managers, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: prod-promoter}
subjects: [{kind: ServiceAccount, name: release-managers, namespace: shop}]
`

// TestAccessControl is issue 12's "done when": an OIDC user in release-managers promotes to
// prod; a developer is refused prod but promotes dev; a per-project NATS credential triggers a
// promotion, is refused prod and cannot touch another project; the audit trail has all of
// it with the right actors.
func TestAccessControl(t *testing.T) {
	provider := startOIDCProvider(t)
	secret := filepath.Join(t.TempDir(), "client-secret")
	if err := os.WriteFile(secret, []byte(provider.ClientSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", NATSPort: -1, Log: logger(),
		Executor: executor.Options{CacheDir: t.TempDir()},
		OIDC:     gateway.OIDCOptions{Issuer: provider.Issuer(), ClientID: provider.ClientID, ClientSecretFile: secret},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Stop)
	admin := client.New(in.URL, client.WithToken(in.AdminToken))
	for _, p := range []string{"shop", "other"} {
		stages := strings.ReplaceAll(accessStage, "PROJECT", p)
		m := strings.ReplaceAll(accessManifests, "PROJECT", p)
		m = strings.Replace(m, "STAGE dev", strings.Replace(stages, "NAME", "dev", 1), 1)
		m = strings.Replace(m, "STAGE prod", strings.Replace(stages, "NAME", "prod", 1), 1)
		apply(t, admin, m)
	}
	apply(t, admin, accessRoles)

	ann := client.New(in.URL, client.WithToken(oidcIDToken(t, provider, "ann", "release-managers")))
	bob := client.New(in.URL, client.WithToken(oidcIDToken(t, provider, "bob", "developers")))
	promote := func(c *client.Client, stage string) error {
		_, err := c.Promote(t.Context(), &v1.PromoteCommand{Project: "shop", Stage: stage, Freight: "quiet-lynx", Actor: "email:someone-else@example.com"})
		return err
	}
	if err := promote(ann, "prod"); err != nil {
		t.Fatalf("a release manager promoting prod: %v", err)
	}
	var apiErr *client.APIError
	if err := promote(bob, "prod"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden {
		t.Fatalf("a developer promoting prod: %v, want 403", err)
	}
	if err := promote(bob, "dev"); err != nil {
		t.Fatalf("a developer promoting dev: %v", err)
	}

	// The outside system: a developer token of shop on the bus.
	tok, err := admin.CreateToken(t.Context(), "shop", &v1.CreateTokenRequest{Name: "ci", Role: "developer"})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 16)
	closed := make(chan struct{})
	nc, err := nats.Connect(in.NATS.ClientURL(), nats.Token(tok.Token), nats.CustomInboxPrefix(bus.TokenInboxPrefix("shop", "ci")),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }),
		nats.MaxReconnects(3), nats.ReconnectWait(10*time.Millisecond), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatalf("the NATS credential cannot connect: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"dev", "prod"} {
		body := `{"stage":"` + stage + `","freight":"quiet-lynx","actor":"email:someone-else@example.com"}`
		if _, err := js.Publish(t.Context(), bus.CommandSubjectAs("shop", "promote", "ci"), []byte(body)); err != nil {
			t.Fatalf("publish promote %s: %v", stage, err)
		}
	}
	other := bus.CommandSubjectAs("other", "promote", "ci")
	if err := nc.Publish(other, []byte(`{"stage":"dev","freight":"quiet-lynx"}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), other) {
			t.Fatalf("publishing to project other: %v, want a permissions violation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the credential of shop published a command of project other")
	}

	// Promotions: prod by ann, dev by bob and by ci; none in other.
	want := map[string]int{"prod oidc:ann (ann@example.com)": 1, "dev oidc:bob (bob@example.com)": 1, "dev token:shop/ci": 1}
	waitUntil(t, "the promotions of ann, bob and ci", func() (bool, string) {
		ps, err := admin.Promotions(t.Context(), "shop")
		got := map[string]int{}
		for _, p := range ps {
			got[p.Spec.Stage+" "+p.Metadata.Annotations[v1.AnnotationCreateActor]]++
		}
		return err == nil && equalCounts(got, want), fmtCounts(got)
	})
	if ps, err := admin.Promotions(t.Context(), "other"); err != nil || len(ps) != 0 {
		t.Errorf("promotions of other = %v, %v; want none", ps, err)
	}

	// A token revoked while it is connected: dray up closes its connection at once, and its
	// reconnects are refused. (A command it sent before is refused by the scheduler.)
	if err := admin.RevokeToken(t.Context(), "shop", "ci"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("the revoked token's NATS connection is still open")
	}
	if !errors.Is(nc.LastError(), nats.ErrAuthorization) {
		t.Errorf("the revoked token's reconnect: %v, want an authorization error", nc.LastError())
	}

	// The audit trail, through GET /api/v1/audit.
	type rec struct{ source, actor, name, result string }
	wantRecs := []rec{
		{"api", "oidc:ann (ann@example.com)", "prod", v1.AuditAllowed},
		{"api", "oidc:bob (bob@example.com)", "prod", v1.AuditRefused},
		{"api", "oidc:bob (bob@example.com)", "dev", v1.AuditAllowed},
		{"bus", "token:shop/ci", "dev", v1.AuditAllowed},
		{"bus", "token:shop/ci", "prod", v1.AuditRefused},
	}
	waitUntil(t, "the audit records", func() (bool, string) {
		list, err := admin.Audit(t.Context(), "shop", url.Values{"verb": {"promote"}})
		if err != nil {
			return false, err.Error()
		}
		got := map[rec]bool{}
		var all []string
		for _, r := range list.Records {
			got[rec{r.Source, r.Actor, r.Name, r.Result}] = true
			all = append(all, r.Source+" "+r.Actor+" "+r.Name+" "+r.Result)
		}
		for _, w := range wantRecs {
			if !got[w] {
				return false, strings.Join(all, "; ")
			}
		}
		return true, ""
	})
}

// waitUntil waits up to 30s for ok, and fails with what it last saw.
func waitUntil(t *testing.T, what string, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		done, saw := ok()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after 30s: got %s", what, saw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func fmtCounts(m map[string]int) string {
	var s []string
	for k, v := range m {
		s = append(s, fmt.Sprintf("%s ×%d", k, v))
	}
	return strings.Join(s, ", ")
}

// startOIDCProvider starts an OpenID provider on loopback (mockoidc, as the gateway's tests
// do): discovery, JWKS, the code flow with PKCE.
func startOIDCProvider(t *testing.T) *mockoidc.MockOIDC {
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

// oidcIDToken signs sub (in groups) in at the provider as dray login does, and returns the ID
// token.
func oidcIDToken(t *testing.T, m *mockoidc.MockOIDC, sub string, groups ...string) string {
	t.Helper()
	m.QueueUser(&mockoidc.MockUser{Subject: sub, Email: sub + "@example.com", EmailVerified: true, Groups: groups})
	cfg := oauth2.Config{ClientID: m.ClientID, ClientSecret: m.ClientSecret, Endpoint: oauth2.Endpoint{AuthURL: m.AuthorizationEndpoint(), TokenURL: m.TokenEndpoint()},
		RedirectURL: "http://127.0.0.1:1/callback", Scopes: []string{"openid", "email", "groups"}}
	verifier := oauth2.GenerateVerifier()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
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
