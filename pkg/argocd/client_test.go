package argocd_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/argocd/argocdtest"
)

const token = "tok-0123456789"

func newServer(t *testing.T) *argocdtest.Server {
	srv := argocdtest.NewServer(t, token)
	srv.Add(&argocdtest.App{Name: "web", Namespace: "apps", Labels: map[string]string{"team": "web"},
		Spec: map[string]any{"project": "default", "source": map[string]any{"repoURL": "https://x/y.git", "targetRevision": "main"}, "ignoreDifferences": []any{"kept"}}})
	return srv
}

func TestGetAndUpdate(t *testing.T) {
	srv := newServer(t)
	c, err := argocd.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	app, err := c.Get(t.Context(), "web", "apps")
	if err != nil {
		t.Fatalf("Get = %v", err)
	}
	if app.Spec.Source == nil || app.Spec.Source.TargetRevision != "main" || app.Status.Health.Status != argocd.HealthHealthy {
		t.Errorf("Get = %+v", app)
	}
	app.RawSpec["source"].(map[string]any)["targetRevision"] = "v2"
	if err := c.UpdateSpec(t.Context(), "web", "apps", app.RawSpec); err != nil {
		t.Fatalf("UpdateSpec = %v", err)
	}
	want := map[string]any{"project": "default", "source": map[string]any{"repoURL": "https://x/y.git", "targetRevision": "v2"}, "ignoreDifferences": []any{"kept"}}
	if diff := cmp.Diff(want, srv.Spec("apps", "web")); diff != "" {
		t.Errorf("stored spec (-want +got):\n%s", diff)
	}
	put := srv.Requests("PUT")[0]
	if put.Query["appNamespace"][0] != "apps" {
		t.Errorf("PUT query = %v, want appNamespace=apps", put.Query)
	}
}

func TestErrors(t *testing.T) {
	srv := newServer(t)
	c, _ := argocd.New(srv.Config())
	if _, err := c.Get(t.Context(), "nope", "apps"); !errors.Is(err, argocd.ErrNotFound) || !strings.Contains(err.Error(), `"nope" not found`) {
		t.Errorf("Get(missing) = %v, want ErrNotFound with the server's message", err)
	}
	cfg := srv.Config()
	cfg.Token = "bad-token-xyz"
	bad, _ := argocd.New(cfg)
	_, err := bad.Get(t.Context(), "web", "apps")
	if !errors.Is(err, argocd.ErrUnauthorized) {
		t.Fatalf("Get with a bad token = %v, want ErrUnauthorized", err)
	}
	if msg := err.Error(); strings.Contains(msg, "bad-token-xyz") || strings.Contains(msg, token) || !strings.Contains(msg, "HTTP 401") {
		t.Errorf("error %q must say 401 and show no token", msg)
	}
	// The system roots do not trust the test server.
	cfg = srv.Config()
	cfg.CA = nil
	untrusted, _ := argocd.New(cfg)
	if _, err := untrusted.Get(t.Context(), "web", "apps"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Get from an untrusted server = %v, want a certificate error", err)
	}
	cfg.InsecureSkipTLSVerify = true
	insecure, _ := argocd.New(cfg)
	if _, err := insecure.Get(t.Context(), "web", "apps"); err != nil {
		t.Errorf("Get with insecureSkipTLSVerify = %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []argocd.Config{
		{Server: "http://argocd.example.com", Token: "t"},
		{Server: "https://argocd.example.com"},
		{Server: "https://argocd.example.com", Token: "t", CA: []byte("not pem")},
		{Server: "argocd", Token: "t"},
	} {
		if _, err := argocd.New(cfg); err == nil {
			t.Errorf("New(%s) = nil error", cfg.Server)
		} else if strings.Contains(err.Error(), "t\"") {
			t.Errorf("New error %q shows the token", err)
		}
	}
}

func TestFindBySelector(t *testing.T) {
	srv := newServer(t)
	srv.Add(&argocdtest.App{Name: "api", Namespace: "apps", Labels: map[string]string{"team": "api"}, Spec: map[string]any{}})
	c, _ := argocd.New(srv.Config())
	apps, err := c.Find(t.Context(), "apps", "", &argocd.Selector{MatchExpressions: []argocd.Requirement{{Key: "team", Operator: "In", Values: []string{"web", "db"}}}})
	if err != nil || len(apps) != 1 || apps[0].Metadata.Name != "web" {
		t.Errorf("Find(team in (web,db)) = %v, %v, want web", apps, err)
	}
	if got := srv.Requests("GET")[0].Query["selector"][0]; got != "team in (web,db)" {
		t.Errorf("selector sent = %q", got)
	}
}

func TestSelectorMatches(t *testing.T) {
	sel := argocd.Selector{MatchLabels: map[string]string{"a": "1"}, MatchExpressions: []argocd.Requirement{
		{Key: "b", Operator: "Exists"}, {Key: "c", Operator: "DoesNotExist"}, {Key: "d", Operator: "NotIn", Values: []string{"x"}},
	}}
	tests := []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{"a": "1", "b": ""}, true},
		{map[string]string{"a": "1", "b": "", "d": "y"}, true},
		{map[string]string{"a": "1", "b": "", "d": "x"}, false},
		{map[string]string{"a": "1", "b": "", "c": "z"}, false},
		{map[string]string{"a": "2", "b": ""}, false},
		{map[string]string{"a": "1"}, false},
	}
	for _, tt := range tests {
		if got := sel.Matches(tt.labels); got != tt.want {
			t.Errorf("Matches(%v) = %t, want %t", tt.labels, got, tt.want)
		}
	}
	if (&argocd.Selector{}).Matches(map[string]string{"a": "1"}) {
		t.Error("an empty selector matched")
	}
	if got := sel.String(); got != "a=1,b,!c,d notin (x)" {
		t.Errorf("String() = %q", got)
	}
}

type secrets map[string]map[string]string

func (s secrets) Data(_ context.Context, project, name string) (map[string]string, error) {
	if name != argocd.SecretName {
		return nil, nil
	}
	return s[project], nil
}

func TestProvider(t *testing.T) {
	srv := newServer(t)
	def := srv.Config()
	other := argocdtest.NewServer(t, "project-token")
	other.Add(&argocdtest.App{Name: "web", Namespace: "team", Spec: map[string]any{}})
	oc := other.Config()
	p := argocd.NewProvider(def, secrets{
		"team":   {"server": oc.Server, "token": "project-token", "ca": string(oc.CA), "namespace": "team"},
		"thief":  {"server": oc.Server},
		"tokens": {"token": "bad-token"},
	})
	c, err := p.Client(t.Context(), "team")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(t.Context(), "web", ""); err != nil {
		t.Errorf("project client Get = %v, want the project's server and namespace", err)
	}
	if _, err := p.Client(t.Context(), "thief"); err == nil || !strings.Contains(err.Error(), "names a server but no token") {
		t.Errorf("Client(secret with server, no token) = %v: the executor's token must not go to another server", err)
	}
	c, _ = p.Client(t.Context(), "tokens")
	if _, err := c.Get(t.Context(), "web", "apps"); !errors.Is(err, argocd.ErrUnauthorized) {
		t.Errorf("Get with the project's token = %v, want it used (and rejected)", err)
	}
	c1, _ := p.Client(t.Context(), "plain")
	c2, _ := p.Client(t.Context(), "other-plain")
	if c1 != c2 {
		t.Error("projects with the same configuration got different clients")
	}
	if _, err := argocd.NewProvider(argocd.Config{}, nil).Client(t.Context(), "x"); !errors.Is(err, argocd.ErrNotConfigured) {
		t.Errorf("Client without configuration = %v, want ErrNotConfigured", err)
	}
}

func TestSync(t *testing.T) {
	srv := newServer(t)
	c, _ := argocd.New(srv.Config())
	if _, err := c.Sync(t.Context(), argocd.SyncRequest{Name: "web", AppNamespace: "apps", Revision: "abc", Prune: true}); err != nil {
		t.Fatalf("Sync = %v", err)
	}
	_, err := c.Sync(t.Context(), argocd.SyncRequest{Name: "web", AppNamespace: "apps"})
	var ae *argocd.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || !strings.Contains(ae.Message, "already in progress") {
		t.Errorf("second Sync = %v, want HTTP 400 another operation in progress", err)
	}
	// The controller picks the operation up, runs it and records its result.
	var app *argocd.Application
	for range 2 {
		app, _ = c.Get(t.Context(), "web", "apps")
	}
	st := app.Status.OperationState
	if st == nil || st.Phase != argocd.OperationSucceeded || st.SyncResult.Revision != "abc" || app.Status.Sync.Status != argocd.SyncSynced {
		t.Errorf("after the sync: %+v %+v", st, app.Status.Sync)
	}
}
