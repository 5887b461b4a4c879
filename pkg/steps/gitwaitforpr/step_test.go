package gitwaitforpr_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/gitprovider/gitprovidertest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitwaitforpr"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func run(t *testing.T, s steps.Step, cfg map[string]any) (steps.Result, error) {
	t.Helper()
	return steptest.Run(t, s, steptest.NewContext(t, cfg, nil))
}

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, gitwaitforpr.Name, gitwaitforpr.Config{})
}

func TestClosedUnmerged(t *testing.T) {
	for _, provider := range []string{"github", "gitlab", "gitea", "bitbucket"} {
		t.Run(provider, func(t *testing.T) {
			srv := gitprovidertest.New(t, provider)
			n := srv.AddPR(gitprovidertest.PR{Head: "feature", Base: "main", Title: "t", State: "closed"})
			res, err := run(t, gitwaitforpr.New(), map[string]any{"repoURL": srv.RepoURL(), "provider": provider, "prNumber": n})
			o := steps.Classify(res, err)
			if o.Status != "Failed" || !o.Terminal || o.Reason != "PullRequestClosed" || o.Message != "pull request 1 was closed without being merged" {
				t.Errorf("Classify() = %+v, want Failed, terminal: pull request 1 was closed without being merged", o)
			}
			if got := res.Outputs["pr"]; !cmp.Equal(got, map[string]any{"id": 1, "url": got.(map[string]any)["url"], "open": false, "merged": false}) {
				t.Errorf("outputs = %v, want pr closed and not merged", res.Outputs)
			}
		})
	}
}

func TestDefaultPollInterval(t *testing.T) {
	srv := gitprovidertest.New(t, "gitlab")
	n := srv.AddPR(gitprovidertest.PR{Head: "feature", Base: "main", Title: "t"})
	res, err := run(t, gitwaitforpr.New(), map[string]any{"repoURL": srv.RepoURL(), "provider": "gitlab", "prNumber": n})
	if o := steps.Classify(res, err); o.Status != "Running" || o.RetryAfter != gitwaitforpr.DefaultPollInterval {
		t.Errorf("Classify() = %+v, want Running after %s", o, gitwaitforpr.DefaultPollInterval)
	}
}

// TestBadCredentials reads the token from the real secret store; the provider refuses it, and
// the step's error says so without showing it.
func TestBadCredentials(t *testing.T) {
	const password = "glpat-wr0ng-t0ken"
	key, err := secret.EnsureKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := secret.NewStore(bustest.Start(t).Connect(t).Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, provider := range []string{"github", "gitlab", "gitea", "bitbucket"} {
		t.Run(provider, func(t *testing.T) {
			srv := gitprovidertest.New(t, provider)
			srv.RequireToken("dray-bot", "the-right-token")
			cred := &v1.Secret{StringData: map[string]string{"repoURL": srv.RepoURL(), "username": "dray-bot", "password": password}}
			cred.Metadata = v1.ObjectMeta{Name: "repo-" + provider, Namespace: "kargo-demo", Labels: map[string]string{v1.LabelCredType: secret.TypeGit}}
			if _, err := store.Put(t.Context(), cred); err != nil {
				t.Fatal(err)
			}
			res, err := run(t, gitwaitforpr.New(gitwaitforpr.WithCredentials(store)), map[string]any{"repoURL": srv.RepoURL(), "provider": provider, "prNumber": 1})
			o := steps.Classify(res, err)
			if o.Status != "Errored" || o.Reason != "Unauthorized" || !strings.Contains(o.Message, "401") || !strings.Contains(o.Message, "credentials") {
				t.Errorf("Classify() = %+v, want Errored, Unauthorized, a message that says 401 and points at the credentials", o)
			}
			if strings.Contains(o.Message, password) {
				t.Errorf("message shows the token: %s", o.Message)
			}
			// The token was sent, so the store was used.
			reqs := srv.Requests()
			if len(reqs) == 0 || !strings.Contains(reqs[0].Header.Get("Authorization")+reqs[0].Header.Get("Private-Token")+basic(reqs[0]), password) {
				t.Errorf("the request did not carry the stored token")
			}
		})
	}
}

func basic(r gitprovidertest.Request) string {
	h := r.Header.Get("Authorization")
	if b, ok := strings.CutPrefix(h, "Basic "); ok {
		if d, err := decode64(b); err == nil {
			return d
		}
	}
	return ""
}

func TestErrors(t *testing.T) {
	srv := gitprovidertest.New(t, "github")
	tests := []struct {
		name   string
		config map[string]any
		status string
		reason string
	}{
		{"not found", map[string]any{"repoURL": srv.RepoURL(), "provider": "github", "prNumber": 9}, "Errored", "PullRequestNotFound"},
		{"zero", map[string]any{"repoURL": srv.RepoURL(), "provider": "github", "prNumber": 0}, "Failed", "InvalidConfig"},
		{"bad interval", map[string]any{"repoURL": srv.RepoURL(), "provider": "github", "prNumber": 1, "pollInterval": "soon"}, "Failed", "InvalidConfig"},
		{"unknown provider", map[string]any{"repoURL": "https://git.example.com/a/b.git", "prNumber": 1}, "Failed", "UnknownProvider"},
		{"azure", map[string]any{"repoURL": "https://dev.azure.com/o/p/_git/r", "prNumber": 1}, "Failed", "UnknownProvider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := run(t, gitwaitforpr.New(), tt.config)
			if o := steps.Classify(res, err); o.Status != tt.status || o.Reason != tt.reason {
				t.Errorf("Classify() = %+v, want %s, %s", o, tt.status, tt.reason)
			}
		})
	}
}
