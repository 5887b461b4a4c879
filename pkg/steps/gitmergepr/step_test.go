package gitmergepr_test

import (
	"testing"
	"time"

	"github.com/drayhq/dray/pkg/gitprovider/gitprovidertest"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitmergepr"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, gitmergepr.Name, gitmergepr.Config{})
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		pr       gitprovidertest.PR
		config   map[string]any
		status   string
		terminal bool
		reason   string
	}{
		{"merges", gitprovidertest.PR{}, nil, "Succeeded", false, ""},
		{"method", gitprovidertest.PR{}, map[string]any{"mergeMethod": "squash"}, "Succeeded", false, ""},
		{"closed", gitprovidertest.PR{State: "closed"}, nil, "Failed", true, "PullRequestClosed"},
		{"conflict", gitprovidertest.PR{Mergeable: gitprovidertest.Conflicting}, map[string]any{"wait": true}, "Failed", true, "MergeConflict"},
		{"blocked", gitprovidertest.PR{Mergeable: gitprovidertest.Blocked}, nil, "Failed", true, "NotMergeable"},
		{"blocked, wait", gitprovidertest.PR{Mergeable: gitprovidertest.Blocked}, map[string]any{"wait": true, "pollInterval": "1m"}, "Running", false, ""},
		{"checking, wait", gitprovidertest.PR{Mergeable: gitprovidertest.Checking}, map[string]any{"wait": true}, "Running", false, ""},
		{"draft, wait", gitprovidertest.PR{Draft: true}, map[string]any{"wait": true}, "Running", false, ""},
		{"bad method", gitprovidertest.PR{}, map[string]any{"mergeMethod": "octopus"}, "Failed", true, "InvalidConfig"},
	}
	for _, provider := range []string{"github", "gitlab", "gitea", "bitbucket"} {
		for _, tt := range tests {
			t.Run(provider+"/"+tt.name, func(t *testing.T) {
				srv := gitprovidertest.New(t, provider)
				tt.pr.Head, tt.pr.Base, tt.pr.Title = "feature", "main", "t"
				n := srv.AddPR(tt.pr)
				cfg := map[string]any{"repoURL": srv.RepoURL(), "provider": provider, "prNumber": n}
				for k, v := range tt.config {
					cfg[k] = v
				}
				if tt.name == "method" {
					cfg["mergeMethod"] = map[string]string{"github": "squash", "gitlab": "squash", "gitea": "rebase", "bitbucket": "fast_forward"}[provider]
				}
				res, err := steptest.Run(t, gitmergepr.New(), steptest.NewContext(t, cfg, nil))
				o := steps.Classify(res, err)
				if o.Status != tt.status || o.Terminal != tt.terminal || o.Reason != tt.reason {
					t.Fatalf("Classify() = %+v, want %s (terminal %t, reason %q)", o, tt.status, tt.terminal, tt.reason)
				}
				got, _ := srv.PR(n)
				if tt.status == "Succeeded" {
					if got.State != "merged" || res.Outputs["commit"] != got.MergeCommit || len(got.MergeCommit) != 40 {
						t.Errorf("outputs %v; fake has %+v, want merged with that commit", res.Outputs, got)
					}
					if m, ok := cfg["mergeMethod"].(string); ok && provider != "gitlab" && got.MergeMethod != m {
						t.Errorf("merged with %q, want %q", got.MergeMethod, m)
					}
				} else if got.State == "merged" {
					t.Errorf("the pull request was merged, want it left %s", tt.pr.State)
				}
				if tt.name == "blocked, wait" && o.RetryAfter != time.Minute {
					t.Errorf("RetryAfter = %s, want 1m", o.RetryAfter)
				}
				if tt.name == "checking, wait" && o.RetryAfter != gitmergepr.DefaultPollInterval {
					t.Errorf("RetryAfter = %s, want %s", o.RetryAfter, gitmergepr.DefaultPollInterval)
				}
			})
		}
	}
}

// TestBlockedThenMergeable: a waiting merge succeeds on the attempt after the checks pass.
func TestBlockedThenMergeable(t *testing.T) {
	srv := gitprovidertest.New(t, "github")
	n := srv.AddPR(gitprovidertest.PR{Head: "feature", Base: "main", Title: "t", Mergeable: gitprovidertest.Blocked})
	cfg := map[string]any{"repoURL": srv.RepoURL(), "provider": "github", "prNumber": n, "wait": true}
	res, err := steptest.Run(t, gitmergepr.New(), steptest.NewContext(t, cfg, nil))
	if o := steps.Classify(res, err); o.Status != "Running" {
		t.Fatalf("first attempt: %+v, want Running", o)
	}
	srv.Update(n, func(p *gitprovidertest.PR) { p.Mergeable = gitprovidertest.Mergeable })
	res, err = steptest.Run(t, gitmergepr.New(), steptest.NewContext(t, cfg, nil))
	if got, _ := srv.PR(n); err != nil || got.State != "merged" || res.Outputs["commit"] != got.MergeCommit {
		t.Errorf("second attempt = %v, %v; fake has %+v", res.Outputs, err, got)
	}
}
