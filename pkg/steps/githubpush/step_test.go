package githubpush_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitprovider/gitprovidertest"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitclone"
	"github.com/drayhq/dray/pkg/steps/gitcommit"
	"github.com/drayhq/dray/pkg/steps/githubpush"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

const token = "ghs-t0k3n"

type store struct{}

func (store) Credentials(context.Context, string, string, string) (*secret.Credentials, error) {
	return &secret.Credentials{Username: "dray-bot", Password: token}, nil
}

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, githubpush.Name, githubpush.Config{})
}

func TestInfo(t *testing.T) {
	if diff := cmp.Diff(steps.Info{Name: "github-push", Executor: "git"}, githubpush.New().Info()); diff != "" {
		t.Errorf("Info() (-want +got):\n%s", diff)
	}
}

func newContext(t *testing.T, work string, cfg map[string]any) *steps.Context {
	t.Helper()
	root, err := os.OpenRoot(work)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = root.Close() })
	return &steps.Context{Project: "p", Stage: "prod", Promotion: "prod.01", Alias: "push", Attempt: 1,
		Config: cfg, WorkDir: work, Dir: root, Log: slog.New(slog.DiscardHandler)}
}

func mustRun(t *testing.T, s steps.Step, work string, cfg map[string]any) map[string]any {
	t.Helper()
	res, err := s.Run(t.Context(), newContext(t, work, cfg))
	if err != nil {
		t.Fatalf("%s: Run() = %v", s.Info().Name, err)
	}
	return res.Outputs
}

// setup serves acme/deploy with Git and GitHub's API on one host, clones main into
// <work>/out and makes two commits there: one changes a file and adds a script, the next
// deletes a file.
func setup(t *testing.T) (*gittest.Server, *gitprovidertest.Server, string) {
	t.Helper()
	g := gittest.NewServer(t)
	g.Repo(t, "acme/deploy", map[string]string{"app.yaml": "image: v1\n", "old.txt": "gone soon\n"})
	srv := gitprovidertest.New(t, "github", gitprovidertest.WithGit(g))
	srv.RequireToken("dray-bot", token)
	work := t.TempDir()
	mustRun(t, gitclone.New(), work, map[string]any{"repoURL": srv.RepoURL(), "checkout": []any{map[string]any{"branch": "main", "path": "out"}}})
	write := func(name, content string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(work, "out", name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("app.yaml", "image: v2\n", 0o644)
	write("deploy.sh", "#!/bin/sh\necho deploy\n", 0o755)
	mustRun(t, gitcommit.New(), work, map[string]any{"path": "out", "message": "Promote v2"})
	if err := os.Remove(filepath.Join(work, "out", "old.txt")); err != nil {
		t.Fatal(err)
	}
	mustRun(t, gitcommit.New(), work, map[string]any{"path": "out", "message": "Drop old.txt"})
	return g, srv, work
}

func pushStep() *githubpush.Step {
	return githubpush.New(githubpush.WithCredentials(store{}), githubpush.WithBackoff(func(int) time.Duration { return 0 }))
}

// TestPushThroughAPI: the commits reach main through GitHub's API, not git: each is created
// with neither author nor committer, so GitHub signs it (Verified), after another user's
// commit that arrived meanwhile; no git push happens, and the working tree ends at the new head.
func TestPushThroughAPI(t *testing.T) {
	g, srv, work := setup(t)
	theirs := g.Commit(t, "acme/deploy", "main", "Someone else's change", map[string]string{"README.md": "hello\n"})

	out := mustRun(t, pushStep(), work, map[string]any{"path": "out", "targetBranch": "main"})

	head := g.Head(t, "acme/deploy", "main")
	if out["commit"] != head || out["branch"] != "main" || out["commitURL"] != srv.URL+"/acme/deploy/commit/"+head {
		t.Errorf("outputs = %v, want commit %s on main with its commitURL", out, head)
	}
	made := srv.APICommits()
	if len(made) != 2 {
		t.Fatalf("%d commits made through the API, want 2", len(made))
	}
	for i, c := range made {
		if !c.Verified {
			t.Errorf("commit %d (%s) would not be Verified: the step sent an author, committer or signature", i+1, c.SHA)
		}
	}
	if made[0].Parents[0] != theirs || made[1].Parents[0] != made[0].SHA || made[1].SHA != head {
		t.Errorf("API commits %+v do not chain from the other user's %s to main's head %s", made, theirs, head)
	}
	if !strings.HasPrefix(made[0].Message, "Promote v2\n\nCo-authored-by: ") {
		t.Errorf("first commit's message = %q, want the original with a Co-authored-by trailer", made[0].Message)
	}
	if got := g.Git(t, "acme/deploy", "log", "-1", "--format=%cn", "main"); strings.TrimSpace(got) != "GitHub" {
		t.Errorf("main's head was committed by %q, want GitHub (made through the API)", got)
	}
	if n := g.PushListings("acme/deploy"); n != 0 {
		t.Errorf("%d git pushes reached the server, want none", n)
	}
	if diff := cmp.Diff([]string{"README.md", "app.yaml", "deploy.sh"}, g.Files(t, "acme/deploy", "main")); diff != "" {
		t.Errorf("files on main (-want +got):\n%s", diff)
	}
	if got := g.ReadFile(t, "acme/deploy", "main", "app.yaml"); got != "image: v2\n" {
		t.Errorf("app.yaml on main = %q", got)
	}
	if mode := g.Git(t, "acme/deploy", "ls-tree", "main", "deploy.sh"); !strings.HasPrefix(mode, "100755") {
		t.Errorf("deploy.sh on main = %q, want mode 100755", mode)
	}
	if got := gittest.RunGit(t, filepath.Join(work, "out"), "rev-parse", "HEAD"); strings.TrimSpace(got) != head {
		t.Errorf("working tree HEAD = %s, want the new head %s", got, head)
	}
	// Again: nothing is left to push.
	again := mustRun(t, pushStep(), work, map[string]any{"path": "out", "targetBranch": "main"})
	if again["commit"] != head || len(srv.APICommits()) != 2 {
		t.Errorf("second run = %v with %d API commits, want %s and no new commit", again, len(srv.APICommits()), head)
	}
}

// TestGenerateTargetBranch: a new branch is created through the API (POST /git/refs).
func TestGenerateTargetBranch(t *testing.T) {
	g, srv, work := setup(t)
	out := mustRun(t, pushStep(), work, map[string]any{"path": "out", "generateTargetBranch": true})
	if out["branch"] != "kargo/promotion/prod.01" || out["commit"] != g.Head(t, "acme/deploy", "kargo/promotion/prod.01") {
		t.Errorf("outputs = %v, want the generated branch at its new head", out)
	}
	created := false
	for _, r := range srv.Requests() {
		created = created || r.Method == "POST" && strings.HasSuffix(r.Path, "/git/refs") && strings.Contains(r.Body, `"refs/heads/kargo/promotion/prod.01"`)
	}
	if !created {
		t.Error("no POST /git/refs created the branch")
	}
	if g.Head(t, "acme/deploy", "main") == out["commit"] {
		t.Error("main moved; only the generated branch should")
	}
}

// TestRefusedToken: the API refusing the token is retried with reason Unauthorized, and
// nothing is written.
func TestRefusedToken(t *testing.T) {
	_, srv, work := setup(t)
	srv.RequireToken("dray-bot", "another-token")
	_, err := pushStep().Run(t.Context(), newContext(t, work, map[string]any{"path": "out"}))
	o := steps.Classify(steps.Result{}, err)
	if err == nil || steps.IsTerminal(err) || o.Reason != "Unauthorized" || strings.Contains(err.Error(), token) {
		t.Errorf("Run() with a refused token = %v (%s), want a retryable Unauthorized error without the token", err, o.Reason)
	}
	if len(srv.APICommits()) != 0 {
		t.Errorf("%d commits made with a refused token", len(srv.APICommits()))
	}
}

// TestBranchMovesMeanwhile: when someone pushes to the branch while the commits are made, the
// branch update is refused (422 "Update is not a fast forward"); the step integrates their
// commit and makes its commits again on top of it.
func TestBranchMovesMeanwhile(t *testing.T) {
	g, srv, work := setup(t)
	var theirs string
	srv.OnRequest(func(method, path string) {
		if theirs == "" && method == "POST" && strings.HasSuffix(path, "/git/commits") {
			theirs = g.Commit(t, "acme/deploy", "main", "Someone else's change", map[string]string{"README.md": "hello\n"})
		}
	})
	out := mustRun(t, pushStep(), work, map[string]any{"path": "out", "targetBranch": "main"})
	head := g.Head(t, "acme/deploy", "main")
	if out["commit"] != head {
		t.Errorf("outputs = %v, want main's head %s", out, head)
	}
	refused := 0
	for _, r := range srv.Requests() {
		if r.Method == "PATCH" && strings.HasSuffix(r.Path, "/git/refs/heads/main") {
			refused++
		}
	}
	made := srv.APICommits()
	if refused != 2 || len(made) != 4 || made[2].Parents[0] != theirs || made[3].SHA != head {
		t.Errorf("%d branch updates, API commits %+v; want a refused update, then the two commits again on %s", refused, made, theirs)
	}
	if diff := cmp.Diff([]string{"README.md", "app.yaml", "deploy.sh"}, g.Files(t, "acme/deploy", "main")); diff != "" {
		t.Errorf("files on main (-want +got):\n%s", diff)
	}
}
