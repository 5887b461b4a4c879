package gitopenpr_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitprovider/gitprovidertest"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitmergepr"
	"github.com/drayhq/dray/pkg/steps/gitopenpr"
	"github.com/drayhq/dray/pkg/steps/gitwaitforpr"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

const token = "tok-0p3n-s3cr3t"

// store hands out one token for every repository, as a project's git credentials would.
type store struct{ user, password string }

func (s store) Credentials(context.Context, string, string, string) (*secret.Credentials, error) {
	return &secret.Credentials{Username: s.user, Password: s.password}, nil
}

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, gitopenpr.Name, gitopenpr.Config{})
	steptest.ConfigMatchesSchema(t, gitwaitforpr.Name, gitwaitforpr.Config{})
	steptest.ConfigMatchesSchema(t, gitmergepr.Name, gitmergepr.Config{})
}

// setup starts a Git server holding acme/deploy (main, and feature one commit ahead) and a
// fake of provider on the same host, which wants token.
func setup(t *testing.T, provider string) (*gittest.Server, *gitprovidertest.Server, string) {
	t.Helper()
	g := gittest.NewServer(t)
	g.Repo(t, "acme/deploy", map[string]string{"app.yaml": "image: v1\n"})
	g.Git(t, "acme/deploy", "branch", "feature", "main")
	head := g.Commit(t, "acme/deploy", "feature", "Promote v2\n\nBumps the image to v2.", map[string]string{"app.yaml": "image: v2\n"})
	srv := gitprovidertest.New(t, provider, gitprovidertest.WithGit(g))
	srv.RequireToken("dray-bot", token)
	return g, srv, head
}

func run(t *testing.T, s steps.Step, cfg map[string]any, previous map[string]any) (steps.Result, error) {
	t.Helper()
	sc := steptest.NewContext(t, cfg, nil)
	sc.Previous = previous
	return steptest.Run(t, s, sc)
}

// TestOpenWaitMerge runs the whole flow against each provider: git-open-pr opens the pull
// request, git-wait-for-pr reports Running while it is open, git-merge-pr merges it, and
// git-wait-for-pr then succeeds with the merge commit.
func TestOpenWaitMerge(t *testing.T) {
	for _, provider := range []string{"github", "gitlab", "gitea", "bitbucket"} {
		t.Run(provider, func(t *testing.T) {
			_, srv, head := setup(t, provider)
			creds := store{"dray-bot", token}
			open := gitopenpr.New(gitopenpr.WithCredentials(creds), gitopenpr.WithUIBaseURL("https://dray.example.com/"))
			wait := gitwaitforpr.New(gitwaitforpr.WithCredentials(creds))
			mergeStep := gitmergepr.New(gitmergepr.WithCredentials(creds))
			repo := srv.RepoURL()

			res, err := run(t, open, map[string]any{"repoURL": repo, "provider": provider, "sourceBranch": "feature", "targetBranch": "main", "labels": []any{"promotion"}}, nil)
			if err != nil {
				t.Fatalf("git-open-pr: %v", err)
			}
			pr, _ := srv.PR(1)
			wantPR := map[string]any{"id": 1, "url": prURL(srv, 1)}
			if diff := cmp.Diff(map[string]any{"pr": wantPR}, res.Outputs); diff != "" {
				t.Errorf("git-open-pr outputs (-want +got):\n%s", diff)
			}
			wantBody := "Bumps the image to v2.\n\n[View in Dray UI](https://dray.example.com/project/kargo-demo/stage/prod)"
			if pr.Title != "Promote v2" || pr.Body != wantBody || pr.Head != "feature" || pr.Base != "main" || pr.HeadSHA != head {
				t.Errorf("opened %+v, want title from the head commit, its body plus the UI link, feature → main at %s", pr, head)
			}
			if (provider == "github" || provider == "gitlab") && !cmp.Equal(pr.Labels, []string{"promotion"}) {
				t.Errorf("labels = %v, want [promotion]", pr.Labels)
			}

			// Run again without its previous output (say, it was lost): the open PR is reused.
			res, err = run(t, open, map[string]any{"repoURL": repo, "provider": provider, "sourceBranch": "feature", "targetBranch": "main"}, nil)
			if err != nil || !cmp.Equal(res.Outputs, map[string]any{"pr": wantPR}) {
				t.Errorf("git-open-pr again = %v, %v, want pull request 1 reused", res.Outputs, err)
			}
			if _, ok := srv.PR(2); ok {
				t.Error("git-open-pr run again opened a second pull request")
			}

			waitCfg := map[string]any{"repoURL": repo, "provider": provider, "prNumber": 1, "pollInterval": "45s"}
			res, err = run(t, wait, waitCfg, nil)
			o := steps.Classify(res, err)
			if o.Status != "Running" || o.RetryAfter != 45*time.Second || o.Message != "waiting for PR 1" {
				t.Errorf("git-wait-for-pr on an open PR = %+v, want Running after 45s, waiting for PR 1", o)
			}
			if diff := cmp.Diff(map[string]any{"pr": map[string]any{"id": 1, "url": prURL(srv, 1), "open": true, "merged": false}}, res.Outputs); diff != "" {
				t.Errorf("git-wait-for-pr outputs while open (-want +got):\n%s", diff)
			}

			res, err = run(t, mergeStep, map[string]any{"repoURL": repo, "provider": provider, "prNumber": 1}, nil)
			merged, _ := srv.PR(1)
			if err != nil || merged.State != "merged" || res.Outputs["commit"] != merged.MergeCommit {
				t.Fatalf("git-merge-pr = %v, %v; fake has %+v", res.Outputs, err, merged)
			}

			res, err = run(t, wait, waitCfg, nil)
			if err != nil {
				t.Fatalf("git-wait-for-pr on the merged PR: %v", err)
			}
			want := map[string]any{"pr": map[string]any{"id": 1, "url": prURL(srv, 1), "open": false, "merged": true}, "commit": merged.MergeCommit}
			if diff := cmp.Diff(want, res.Outputs); diff != "" {
				t.Errorf("git-wait-for-pr outputs once merged (-want +got):\n%s", diff)
			}

			// Merging again is safe: it is already merged.
			res, err = run(t, mergeStep, map[string]any{"repoURL": repo, "provider": provider, "prNumber": 1}, nil)
			if err != nil || res.Outputs["commit"] != merged.MergeCommit {
				t.Errorf("git-merge-pr again = %v, %v, want the same commit", res.Outputs, err)
			}

			// The token went in the provider's header on every request and never in a URL.
			for _, r := range srv.Requests() {
				if strings.Contains(r.Path, token) || r.Query.Encode() != "" && strings.Contains(r.Query.Encode(), token) {
					t.Errorf("%s %s carries the token in the URL", r.Method, r.Path)
				}
			}
		})
	}
}

func prURL(srv *gitprovidertest.Server, n int) string {
	switch srv.Provider {
	case "github":
		return srv.URL + "/acme/deploy/pull/1"
	case "gitlab":
		return srv.URL + "/acme/deploy/-/merge_requests/1"
	case "gitea":
		return srv.URL + "/acme/deploy/pulls/1"
	}
	return srv.URL + "/acme/deploy/pull-requests/1"
}

func TestPreviousOutputIsReused(t *testing.T) {
	_, srv, _ := setup(t, "github")
	prev := map[string]any{"pr": map[string]any{"id": 7, "url": "https://example.com/pull/7"}}
	res, err := run(t, gitopenpr.New(), map[string]any{"repoURL": srv.RepoURL(), "provider": "github", "sourceBranch": "feature", "targetBranch": "main"}, prev)
	if err != nil || !cmp.Equal(res.Outputs, prev) {
		t.Errorf("Run() = %v, %v, want the previous output %v", res.Outputs, err, prev)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("the provider got %d requests, want none", n)
	}
}

// TestReuseMerged: a merged pull request at the same head commit is reused rather than
// reopened; a closed one is not.
func TestReuseMerged(t *testing.T) {
	_, srv, head := setup(t, "gitea")
	srv.AddPR(gitprovidertest.PR{Head: "feature", Base: "main", Title: "old", HeadSHA: head, State: "closed"})
	n := srv.AddPR(gitprovidertest.PR{Head: "feature", Base: "main", Title: "done", HeadSHA: head})
	srv.Merge(n)
	res, err := run(t, gitopenpr.New(gitopenpr.WithCredentials(store{"", token})), map[string]any{"repoURL": srv.RepoURL(), "provider": "gitea", "sourceBranch": "feature", "targetBranch": "main"}, nil)
	if err != nil || !cmp.Equal(res.Outputs["pr"], map[string]any{"id": n, "url": srv.URL + "/acme/deploy/pulls/2"}) {
		t.Errorf("Run() = %v, %v, want merged pull request %d reused", res.Outputs, err, n)
	}
}

func TestNoDiffSkipped(t *testing.T) {
	g, srv, _ := setup(t, "gitlab")
	g.Git(t, "acme/deploy", "branch", "same", "main")
	g.Commit(t, "acme/deploy", "same", "empty", nil) // a new commit with the same files
	res, err := run(t, gitopenpr.New(gitopenpr.WithCredentials(store{"", token})), map[string]any{"repoURL": srv.RepoURL(), "provider": "gitlab", "sourceBranch": "same", "targetBranch": "main"}, nil)
	if err != nil || res.Status != steps.StatusSkipped || len(res.Outputs) != 0 {
		t.Errorf("Run() = %+v, %v, want Skipped without outputs", res, err)
	}
	if _, ok := srv.PR(1); ok {
		t.Error("a pull request was opened for branches that do not differ")
	}
}

func TestErrors(t *testing.T) {
	_, srv, _ := setup(t, "github")
	tests := []struct {
		name   string
		creds  store
		config map[string]any
		status string
		reason string
		msg    string
	}{
		{"missing target", store{"", token}, map[string]any{"sourceBranch": "feature", "targetBranch": "nope"}, "Errored", "BranchNotFound", `target branch "nope" does not exist`},
		{"missing source", store{"", token}, map[string]any{"sourceBranch": "nope", "targetBranch": "main"}, "Errored", "BranchNotFound", `source branch "nope" does not exist`},
		{"bad token", store{"", "wrong-token"}, map[string]any{"sourceBranch": "feature", "targetBranch": "main"}, "Errored", "Unauthorized", "401"},
		{"no target", store{"", token}, map[string]any{"sourceBranch": "feature"}, "Failed", "InvalidConfig", "targetBranch"},
		{"unknown field", store{"", token}, map[string]any{"sourceBranch": "feature", "targetBranch": "main", "bogus": 1}, "Failed", "InvalidConfig", "config.bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]any{"repoURL": srv.RepoURL(), "provider": "github"}
			for k, v := range tt.config {
				cfg[k] = v
			}
			res, err := run(t, gitopenpr.New(gitopenpr.WithCredentials(tt.creds)), cfg, nil)
			o := steps.Classify(res, err)
			if o.Status != tt.status || o.Reason != tt.reason || !strings.Contains(o.Message, tt.msg) {
				t.Errorf("Classify() = %+v, want %s, %s, message with %q", o, tt.status, tt.reason, tt.msg)
			}
			if strings.Contains(o.Message, "wrong-token") || strings.Contains(o.Message, token) {
				t.Errorf("message shows a token: %s", o.Message)
			}
		})
	}
}

func TestUnknownProvider(t *testing.T) {
	res, err := run(t, gitopenpr.New(), map[string]any{"repoURL": "https://git.example.com/acme/deploy.git", "sourceBranch": "a", "targetBranch": "b"}, nil)
	if o := steps.Classify(res, err); o.Status != "Failed" || !o.Terminal || o.Reason != "UnknownProvider" {
		t.Errorf("Classify() = %+v, want Failed, terminal, UnknownProvider", o)
	}
}

// TestLocalRepoRefused: a repoURL on this host's filesystem is refused before any remote is
// listed, whatever provider the config names.
func TestLocalRepoRefused(t *testing.T) {
	for _, repo := range []string{"file:///var/lib/dray", "/var/lib/dray"} {
		res, err := run(t, gitopenpr.New(), map[string]any{"repoURL": repo, "provider": "gitea", "sourceBranch": "a", "targetBranch": "b"}, nil)
		if o := steps.Classify(res, err); o.Status != "Failed" || !o.Terminal || o.Reason != "TransportNotAllowed" || !strings.Contains(o.Message, "config.repoURL") {
			t.Errorf("repoURL %s: Classify() = %+v, want Failed, terminal, TransportNotAllowed naming config.repoURL", repo, o)
		}
	}
}
