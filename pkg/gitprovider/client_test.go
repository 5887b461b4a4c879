package gitprovider_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitprovider"
	"github.com/drayhq/dray/pkg/gitprovider/gitprovidertest"
	"github.com/drayhq/dray/pkg/secret"
)

const token = "tok-s3cr3t-9f8e7d"

// providers lists, per provider, the credentials the fake wants, the header they must arrive
// in, and the create request body the provider documents.
var providers = []struct {
	name       string
	creds      secret.Credentials
	authHeader string
	authValue  string
	createBody map[string]any
	dupErr     error // what a second create for the same branches gives
	mergeBody  map[string]any
}{
	{
		name: "github", creds: secret.Credentials{Username: "x", Password: token},
		authHeader: "Authorization", authValue: "Bearer " + token,
		createBody: map[string]any{"title": "Promote v2", "head": "feature", "base": "main", "body": "details"},
		dupErr:     gitprovider.ErrAlreadyExists,
		mergeBody:  map[string]any{"merge_method": "squash", "sha": "HEAD"},
	},
	{
		name: "gitlab", creds: secret.Credentials{Username: "x", Password: token},
		authHeader: "Private-Token", authValue: token,
		createBody: map[string]any{"title": "Promote v2", "source_branch": "feature", "target_branch": "main", "description": "details", "labels": "promotion,prod"},
		dupErr:     gitprovider.ErrAlreadyExists,
		mergeBody:  map[string]any{"squash": true, "sha": "HEAD"},
	},
	{
		name: "gitea", creds: secret.Credentials{Password: token},
		authHeader: "Authorization", authValue: "token " + token,
		createBody: map[string]any{"title": "Promote v2", "head": "feature", "base": "main", "body": "details"},
		dupErr:     gitprovider.ErrAlreadyExists,
		mergeBody:  map[string]any{"Do": "squash", "head_commit_id": "HEAD"},
	},
	{
		name: "bitbucket", creds: secret.Credentials{Username: "dray-bot", Password: token},
		authHeader: "Authorization", authValue: "Basic " + base64.StdEncoding.EncodeToString([]byte("dray-bot:"+token)),
		createBody: map[string]any{"title": "Promote v2", "description": "details",
			"source": map[string]any{"branch": map[string]any{"name": "feature"}}, "destination": map[string]any{"branch": map[string]any{"name": "main"}}},
		dupErr:    nil, // Bitbucket answers with the open pull request
		mergeBody: map[string]any{"type": "pullrequest_merge_parameters", "merge_strategy": "squash"},
	},
}

func newClient(t *testing.T, srv *gitprovidertest.Server, creds secret.Credentials) *gitprovider.Client {
	t.Helper()
	c, err := gitprovider.New(srv.RepoURL(), srv.Provider, gitprovider.WithCredentials(&creds))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lastRequest(t *testing.T, srv *gitprovidertest.Server) gitprovidertest.Request {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("the fake received no request")
	}
	return reqs[len(reqs)-1]
}

func body(t *testing.T, r gitprovidertest.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("%s %s: body %q: %v", r.Method, r.Path, r.Body, err)
	}
	return m
}

func TestClientFlow(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			srv := gitprovidertest.New(t, p.name)
			srv.RequireToken(p.creds.Username, token)
			c := newClient(t, srv, p.creds)
			ctx := t.Context()

			pr, err := c.CreatePR(ctx, gitprovider.NewPR{Head: "feature", Base: "main", Title: "Promote v2", Description: "details", Labels: []string{"promotion", "prod"}})
			if err != nil {
				t.Fatalf("CreatePR() = %v", err)
			}
			if pr.Number != 1 || pr.State != gitprovider.StateOpen || !strings.HasPrefix(pr.URL, srv.URL+"/acme/deploy/") {
				t.Errorf("CreatePR() = %+v, want open pull request 1 with its web URL", pr)
			}
			var create gitprovidertest.Request
			for _, r := range srv.Requests() {
				if r.Method == http.MethodPost && !strings.Contains(r.Path, "labels") {
					create = r
				}
				if got := r.Header.Get(p.authHeader); got != p.authValue {
					t.Errorf("%s %s: %s = %q, want %q", r.Method, r.Path, p.authHeader, got, p.authValue)
				}
			}
			if diff := cmp.Diff(p.createBody, body(t, create)); diff != "" {
				t.Errorf("create request body (-want +got):\n%s", diff)
			}
			if got, _ := srv.PR(1); (p.name == "github" || p.name == "gitlab") && !cmp.Equal(got.Labels, []string{"promotion", "prod"}) {
				t.Errorf("labels = %v, want [promotion prod]", got.Labels)
			}

			again, err := c.CreatePR(ctx, gitprovider.NewPR{Head: "feature", Base: "main", Title: "Promote v2"})
			if p.dupErr != nil && !errors.Is(err, p.dupErr) {
				t.Errorf("second CreatePR() = %+v, %v, want %v", again, err, p.dupErr)
			}
			if p.dupErr == nil && (err != nil || again.Number != 1) {
				t.Errorf("second CreatePR() = %+v, %v, want pull request 1", again, err)
			}

			found, err := c.FindPRs(ctx, "feature", "main")
			if err != nil || len(found) != 1 || found[0].Number != 1 || found[0].HeadBranch != "feature" || found[0].BaseBranch != "main" || found[0].HeadSHA == "" {
				t.Errorf("FindPRs() = %+v, %v, want pull request 1", found, err)
			}
			if other, err := c.FindPRs(ctx, "other", "main"); err != nil || len(other) != 0 {
				t.Errorf("FindPRs(other) = %+v, %v, want none", other, err)
			}

			head, _ := srv.PR(1)
			sha, err := c.MergePR(ctx, gitprovider.PR{Number: 1, HeadSHA: head.HeadSHA}, "squash")
			merged, _ := srv.PR(1)
			if err != nil || sha != merged.MergeCommit || len(sha) != 40 || merged.State != "merged" {
				t.Errorf("MergePR() = %q, %v; fake has %+v", sha, err, merged)
			}
			want := p.mergeBody
			for k, v := range want {
				if v == "HEAD" {
					want[k] = head.HeadSHA
				}
			}
			var mergeReq gitprovidertest.Request
			for _, r := range srv.Requests() {
				if strings.HasSuffix(r.Path, "/merge") {
					mergeReq = r
				}
			}
			if diff := cmp.Diff(want, body(t, mergeReq)); diff != "" {
				t.Errorf("merge request body (-want +got):\n%s", diff)
			}

			got, err := c.GetPR(ctx, 1)
			if err != nil || got.State != gitprovider.StateMerged || got.MergeCommit != merged.MergeCommit {
				t.Errorf("GetPR(1) = %+v, %v, want merged at %s", got, err, merged.MergeCommit)
			}
			if _, err := c.GetPR(ctx, 42); !errors.Is(err, gitprovider.ErrNotFound) {
				t.Errorf("GetPR(42) = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestMergeRefused(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			srv := gitprovidertest.New(t, p.name)
			c := newClient(t, srv, secret.Credentials{})
			tests := []struct {
				mergeable string
				want      gitprovider.Mergeability
				err       error
			}{
				{gitprovidertest.Blocked, gitprovider.Blocked, gitprovider.ErrNotMergeable},
				{gitprovidertest.Checking, gitprovider.Unknown, gitprovider.ErrNotMergeable},
				{gitprovidertest.Conflicting, gitprovider.Conflicting, gitprovider.ErrConflict},
			}
			for _, tt := range tests {
				n := srv.AddPR(gitprovidertest.PR{Head: "f-" + tt.mergeable, Base: "main", Title: "t", Mergeable: tt.mergeable})
				pr, err := c.GetPR(t.Context(), n)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case p.name == "bitbucket", p.name == "gitea": // not reported, or one boolean for all three: the merge call decides
					if pr.Mergeable != "" {
						t.Errorf("%s: Mergeable = %q, want unreported", tt.mergeable, pr.Mergeable)
					}
				case pr.Mergeable != tt.want:
					t.Errorf("%s: Mergeable = %q, want %q", tt.mergeable, pr.Mergeable, tt.want)
				}
				want := tt.err
				if p.name == "github" { // a refused merge is 405 whatever the cause
					want = gitprovider.ErrNotMergeable
				}
				if p.name == "bitbucket" && tt.mergeable == gitprovidertest.Checking {
					want = gitprovider.ErrNotMergeable
				}
				if _, err := c.MergePR(t.Context(), pr, ""); !errors.Is(err, want) {
					t.Errorf("%s: MergePR() = %v, want %v", tt.mergeable, err, want)
				}
				if got, _ := srv.PR(n); got.State != "open" {
					t.Errorf("%s: state after refused merge = %s, want open", tt.mergeable, got.State)
				}
			}
			if _, err := c.MergePR(t.Context(), gitprovider.PR{Number: 1}, "octopus"); !errors.Is(err, gitprovider.ErrInvalidMergeMethod) {
				t.Errorf("MergePR(octopus) = %v, want ErrInvalidMergeMethod", err)
			}
		})
	}
}

func TestBadCredentials(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			srv := gitprovidertest.New(t, p.name)
			srv.RequireToken(p.creds.Username, "the-right-one")
			c := newClient(t, srv, p.creds)
			_, err := c.GetPR(t.Context(), 1)
			if !errors.Is(err, gitprovider.ErrUnauthorized) {
				t.Fatalf("GetPR() = %v, want ErrUnauthorized", err)
			}
			msg := err.Error()
			if strings.Contains(msg, token) {
				t.Errorf("error shows the token: %s", msg)
			}
			if !strings.Contains(msg, "401") || !strings.Contains(msg, "credentials") || !strings.Contains(msg, "/acme/deploy") {
				t.Errorf("error %q does not say 401, name the repository and point at the credentials", msg)
			}
		})
	}
}
