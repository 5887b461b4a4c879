package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// openRoutes are the only routes anyone may call: health, and the webhook receivers, which
// check their senders' signatures. anyIdentityRoutes answer every valid token.
var (
	openRoutes = []string{"/healthz", "/readyz", "POST /webhooks/{project}/{token}",
		"GET /auth/config", "GET /auth/login", "GET /auth/callback", "/auth/logout",
		"GET /assets/", "GET /login", "POST /login", "POST /logout"}
	anyIdentityRoutes = []string{"/metrics", "GET /api/v1/projects", "GET /api/v1/whoami", "GET /{$}"}
)

// TestEveryRouteNeedsIdentity walks every route the gateway registers: without a token (or
// with a tampered or expired one, API token or OIDC ID token) each answers 401 saying how to
// log in, and each answers 403 to an identity without the role (a token, or an OIDC user),
// naming the verb, the resource and a role that would do.
// A route added later is walked too, so it cannot slip through.
func TestEveryRouteNeedsIdentity(t *testing.T) {
	base, mux, a := testGateway(t)
	past := time.Now().Add(-time.Hour)
	callers := map[string]string{
		"viewer of demo":    newToken(t, a, v1.APIToken{Name: "v", Project: "demo", Role: "viewer"}),
		"developer of demo": newToken(t, a, v1.APIToken{Name: "d", Project: "demo", Role: "developer"}),
		"admin of other":    newToken(t, a, v1.APIToken{Name: "o", Project: "other", Role: "admin"}),
	}
	expired := newExpired(t, a, past)
	tampered := callers["viewer of demo"][:len(callers["viewer of demo"])-2] + "QQ"
	// OIDC users too: one whose claims map to no role, and bad ID tokens.
	m := startProvider(t)
	withOIDC(t, a, base, m)
	callers["OIDC user without a role"] = idToken(t, m, user("nobody", "strangers"))
	m.FastForward(-2 * time.Hour)
	oidcExpired := idToken(t, m, user("old", "developers"))
	m.FastForward(2 * time.Hour)
	oidcTampered := callers["OIDC user without a role"][:len(callers["OIDC user without a role"])-4] + "AAAA"
	body := `{"stage":"prod","freight":"f","alias":"a","name":"x","role":"viewer"}`
	walked := 0
	for _, pattern := range mux.patterns {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = http.MethodGet, pattern
		}
		u := base + strings.NewReplacer("{project}", "demo", "{name}", "prod", "{token}", "abc", "{$}", "").Replace(path)
		p := mux.perms[pattern]
		if p.public {
			if !slices.Contains(openRoutes, pattern) {
				t.Errorf("%s is open to anyone but not listed in openRoutes", pattern)
			}
			continue
		}
		walked++
		for who, tok := range map[string]string{"anonymous": "", "expired": expired, "tampered": tampered, "expired ID token": oidcExpired, "tampered ID token": oidcTampered} {
			code, e := sendAs(t, tok, method, u, body)
			if code != http.StatusUnauthorized || !strings.Contains(e.Error, "dray token create") {
				t.Errorf("%s %s: %d %q, want 401 saying how to log in", who, pattern, code, e.Error)
			}
		}
		if p.anyone {
			if !slices.Contains(anyIdentityRoutes, pattern) {
				t.Errorf("%s is open to every identity but not listed in anyIdentityRoutes", pattern)
			}
			continue
		}
		var refused []string
		for who, tok := range callers {
			code, e := sendAs(t, tok, method, u, body)
			if code == http.StatusForbidden {
				if !strings.Contains(e.Error, p.verb) || !strings.Contains(e.Error, "role") {
					t.Errorf("%s as %s: 403 %q does not name the verb and a role", pattern, who, e.Error)
				}
				refused = append(refused, who)
			}
		}
		if len(refused) == 0 {
			t.Errorf("%s: no under-privileged identity was refused with 403", pattern)
		}
	}
	if walked < 20 {
		t.Fatalf("walked %d routes; the route table looks empty", walked)
	}
}

func newExpired(t *testing.T, a *api, at time.Time) string {
	t.Helper()
	text, _, err := a.auth.store.Create(t.Context(), v1.APIToken{Name: "gone", Project: "demo", Role: "admin", ExpiresAt: &at})
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestRegisterWithoutPermissionPanics: a route cannot be added without declaring who may
// call it.
func TestRegisterWithoutPermissionPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a route without a permission did not panic")
		}
	}()
	newCheckedMux(nil).HandleFunc("GET /x", perm{}, func(http.ResponseWriter, *http.Request) {})
}

// demoPipeline is a project with two Stages taking Freight f1 straight from Warehouse app.
func demoPipeline() string {
	stage := func(name string) string {
		return strings.Replace(fmt.Sprintf(stageDoc, step("x")), "name: prod", "name: "+name, 1)
	}
	return strings.Join([]string{
		"apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata: {name: demo}\n",
		fmt.Sprintf(warehouseDoc, "app", ""),
		fmt.Sprintf(freightDoc, "f1", "first", "app", "v1"),
		stage("dev"), stage("prod"),
	}, "---\n")
}

// releaseManagers gives prod to one role: developers promote every Stage but prod, and
// release-managers promote and approve prod, as the README's "Access control" shows.
const releaseManagers = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: developer, namespace: demo}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch]}
- {apiGroups: [kargo.akuity.io], resources: [stages], resourceNames: [dev], verbs: [promote]}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: release-managers
  namespace: demo
  annotations: {rbac.kargo.akuity.io/claim.groups: release-managers}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: prod-promoter, namespace: demo}
rules:
- {apiGroups: [kargo.akuity.io], resources: [stages], resourceNames: [prod], verbs: [promote, approve]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: release-managers, namespace: demo}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: prod-promoter}
subjects:
- {kind: ServiceAccount, name: release-managers, namespace: demo}
- {kind: ServiceAccount, name: release-managers}
`

// TestPromoteByStage: a RoleBinding gives prod to release-managers alone; the actor of a
// promotion is the token that asked, whatever the body says.
func TestPromoteByStage(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	dev := newToken(t, a, v1.APIToken{Name: "dev", Project: "demo", Role: "developer"})
	promote := func(tok, stage string) (int, v1.ErrorResponse) {
		return sendAs(t, tok, http.MethodPost, base+"/api/v1/projects/demo/promotions",
			`{"stage":"`+stage+`","freight":"first","actor":"email:someone-else@example.com"}`)
	}
	if code, e := promote(dev, "prod"); code != http.StatusAccepted {
		t.Fatalf("built-in developer promotes prod: %d %s, want 202", code, e.Error)
	}
	if got := lastActor(t, a, "promote"); got != "token:demo/dev" {
		t.Errorf("promote command actor = %q, want token:demo/dev (the body's actor must be overwritten)", got)
	}

	// A developer may not declare roles.
	if code, _ := sendAs(t, dev, http.MethodPost, base+"/api/v1/resources", releaseManagers); code != http.StatusForbidden {
		t.Errorf("developer applies roles: %d, want 403", code)
	}
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", releaseManagers); code != http.StatusOK {
		t.Fatalf("apply roles: %d %s", code, e.Error)
	}
	rm := newToken(t, a, v1.APIToken{Name: "rm", Project: "demo", Role: "release-managers"})
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The gateway's index takes the four resources one by one: wait for all of them.
		code, e := promote(dev, "prod")
		if code == http.StatusForbidden && strings.Contains(e.Error, "promote stages/prod") && strings.Contains(e.Error, "release-managers role") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("developer promoting prod after the roles were applied: %d %q, want 403 naming the verb, the Stage and the release-managers role", code, e.Error)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, e := promote(dev, "dev"); code != http.StatusAccepted {
		t.Errorf("developer promotes dev: %d %s, want 202", code, e.Error)
	}
	if code, e := promote(rm, "prod"); code != http.StatusAccepted {
		t.Errorf("release-manager promotes prod: %d %s, want 202", code, e.Error)
	}
	if got := lastActor(t, a, "promote"); got != "token:demo/rm" {
		t.Errorf("promote command actor = %q, want token:demo/rm", got)
	}
	if code, _ := promote(rm, "dev"); code != http.StatusForbidden {
		t.Errorf("release-manager promotes dev: %d, want 403", code)
	}
	// pause carries the identity too.
	if code, e := sendAs(t, dev, http.MethodPost, base+"/api/v1/projects/demo/stages/dev/pause", `{"actor":"user:mallory"}`); code != http.StatusForbidden {
		t.Errorf("replaced developer (read and promote dev only) pauses dev: %d %s, want 403", code, e.Error)
	}
	if code, e := send(t, http.MethodPost, base+"/api/v1/projects/demo/stages/dev/pause", `{"actor":"user:mallory"}`); code != http.StatusAccepted {
		t.Fatalf("admin pauses dev: %d %s", code, e.Error)
	}
	if got := lastActor(t, a, "pause"); got != "token:test-admin" {
		t.Errorf("pause command actor = %q, want token:test-admin", got)
	}
}

// lastActor reads the actor of the last command of verb in project demo.
func lastActor(t *testing.T, a *api, verb string) string {
	t.Helper()
	s, err := a.Bus.JS.Stream(t.Context(), bus.StreamCommands)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(t.Context(), bus.CommandSubject("demo", verb))
	if err != nil {
		t.Fatalf("read last %s command: %v", verb, err)
	}
	var cmd struct{ Actor string }
	if err := json.Unmarshal(m.Data, &cmd); err != nil {
		t.Fatal(err)
	}
	return cmd.Actor
}

// TestTokensAPI: an admin makes a token (shown once), lists tokens without secrets, and
// revokes it; the revoked token stops working.
func TestTokensAPI(t *testing.T) {
	base, _, a := testGateway(t)
	admin := newToken(t, a, v1.APIToken{Name: "boss", Project: "demo", Role: "admin"})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v1/projects/demo/tokens", strings.NewReader(`{"name":"ci","role":"developer","expiresIn":"720h"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created v1.CreateTokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || created.Token == "" || created.SHA256 != "" || created.ExpiresAt == nil || created.CreatedBy != "token:demo/boss" {
		t.Fatalf("create token: %d %+v", resp.StatusCode, created)
	}
	deadline := time.Now().Add(10 * time.Second)
	for code := 0; code != http.StatusOK; {
		code, _ = sendAs(t, created.Token, http.MethodGet, base+"/api/v1/whoami", "")
		if time.Now().After(deadline) {
			t.Fatalf("new token: whoami %d", code)
		}
	}
	for body, want := range map[string]string{
		`{"name":"x","role":"root"}`:                      `role: "root" is not a role of project demo`,
		`{"name":"X_1","role":"viewer"}`:                  "name: ",
		`{"name":"y","role":"viewer","expiresIn":"soon"}`: "expiresIn:",
		`{"name":"z","systemAdmin":true}`:                 "systemAdmin:",
		`{"name":"ci","role":"viewer"}`:                   "token exists",
	} {
		code, e := sendAs(t, admin, http.MethodPost, base+"/api/v1/projects/demo/tokens", body)
		if code < 400 || !strings.Contains(e.Error, want) {
			t.Errorf("create %s: %d %q, want an error containing %q", body, code, e.Error, want)
		}
	}
	// A project admin may not make system-admin tokens.
	if code, _ := sendAs(t, admin, http.MethodPost, base+"/api/v1/tokens", `{"name":"root"}`); code != http.StatusForbidden {
		t.Errorf("project admin creates a system-admin token: %d, want 403", code)
	}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/projects/demo/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list []v1.APIToken
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	var names []string
	for _, tk := range list {
		names = append(names, tk.Name+"/"+tk.Role+"/"+tk.SHA256)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "boss/admin/ ci/developer/" {
		t.Errorf("tokens of demo = %v, want boss and ci without hashes", names)
	}
	if code, e := sendAs(t, admin, http.MethodDelete, base+"/api/v1/projects/demo/tokens/ci", ""); code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", code, e.Error)
	}
	deadline = time.Now().Add(10 * time.Second)
	for code := 0; code != http.StatusUnauthorized; {
		code, _ = sendAs(t, created.Token, http.MethodGet, base+"/api/v1/whoami", "")
		if time.Now().After(deadline) {
			t.Fatalf("revoked token still works: %d", code)
		}
	}
	if code, _ := sendAs(t, admin, http.MethodDelete, base+"/api/v1/projects/demo/tokens/ci", ""); code != http.StatusNotFound {
		t.Errorf("revoke twice: %d, want 404", code)
	}
}

// BenchmarkAuth measures what authentication and authorization add to a request: the
// middleware around a handler that does nothing, with a valid developer token. It reports
// the median (p50-ns) beside the mean.
func BenchmarkAuth(b *testing.B) {
	_, mux, a := testGateway(b)
	tok := newToken(b, a, v1.APIToken{Name: "bench", Project: "demo", Role: "developer"})
	mux.HandleFunc("GET /bench/{project}/stages/{name}", need("get", "stages"), func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	req := httptest.NewRequest(http.MethodGet, "/bench/demo/stages/"+url.PathEscape("prod"), nil)
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
