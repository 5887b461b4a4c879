package gitpush_test

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitclone"
	"github.com/drayhq/dray/pkg/steps/gitcommit"
	"github.com/drayhq/dray/pkg/steps/gitpush"
)

func newContext(t *testing.T, workDir, alias string, config map[string]any) *steps.Context {
	t.Helper()
	root, err := os.OpenRoot(workDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = root.Close() })
	return &steps.Context{
		Project: "p", Stage: "prod", Promotion: "prod.01", Alias: alias, Attempt: 1,
		Config: config, WorkDir: workDir, Dir: root, Log: slog.New(slog.DiscardHandler),
	}
}

func run(t *testing.T, step steps.Step, work string, config map[string]any) (steps.Result, error) {
	t.Helper()
	return step.Run(t.Context(), newContext(t, work, step.Info().Name, config))
}

func mustRun(t *testing.T, step steps.Step, work string, config map[string]any) map[string]any {
	t.Helper()
	res, err := run(t, step, work, config)
	if err != nil {
		t.Fatalf("%s: Run() = %v", step.Info().Name, err)
	}
	return res.Outputs
}

func pushStep() *gitpush.Step {
	return gitpush.New(gitpush.WithBackoff(func(int) time.Duration { return 0 }))
}

// newRepo creates the repository "deploy" with two commits on main, so that a depth-1 clone is
// really shallow, and returns its URL.
func newRepo(t *testing.T, srv *gittest.Server, files map[string]string) string {
	t.Helper()
	url := srv.Repo(t, "deploy", files)
	srv.Commit(t, "deploy", "main", "more history", nil)
	return url
}

// prepare runs git-clone of main into <work>/out, writes files there and runs git-commit.
// It returns the new commit.
func prepare(t *testing.T, url, work string, files map[string]string) string {
	t.Helper()
	mustRun(t, gitclone.New(), work, map[string]any{"repoURL": url, "checkout": []any{map[string]any{"branch": "main", "path": "out"}}})
	for p, content := range files {
		if err := os.WriteFile(filepath.Join(work, "out", p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return mustRun(t, gitcommit.New(), work, map[string]any{"path": "out", "message": "update"})["commit"].(string)
}

func TestInfo(t *testing.T) {
	want := steps.Info{Name: "git-push", Executor: "git"}
	if diff := cmp.Diff(want, gitpush.New().Info()); diff != "" {
		t.Errorf("Info() (-want +got):\n%s", diff)
	}
}

func TestCloneCommitPush(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	work := t.TempDir()
	commit := prepare(t, url, work, map[string]string{"app.yaml": "image: v2\n"})

	for attempt := range 2 { // pushing again must give the same result
		res, err := run(t, pushStep(), work, map[string]any{"path": "out", "provider": "github"})
		if err != nil {
			t.Fatalf("attempt %d: Run() = %v", attempt, err)
		}
		want := map[string]any{"commit": commit, "branch": "main", "commitURL": srv.URL + "/deploy/commit/" + commit}
		if diff := cmp.Diff(want, res.Outputs); diff != "" {
			t.Errorf("attempt %d: outputs (-want +got):\n%s", attempt, diff)
		}
	}
	if got := srv.Head(t, "deploy", "main"); got != commit {
		t.Errorf("remote main = %s, want %s", got, commit)
	}
	if got := srv.ReadFile(t, "deploy", "main", "app.yaml"); got != "image: v2\n" {
		t.Errorf("remote app.yaml = %q, want image: v2", got)
	}
}

// TestCloneCommitPushWithCache: with the cache shared by git-clone and git-push, the next
// promotion's clone starts from the pushed commit without fetching, and pushes in turn.
func TestCloneCommitPushWithCache(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	cache, err := gitrepo.NewCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clone := gitclone.New(gitclone.WithCache(cache))
	push := gitpush.New(gitpush.WithBackoff(func(int) time.Duration { return 0 }), gitpush.WithCache(cache))
	cloneConfig := map[string]any{"repoURL": url, "checkout": []any{map[string]any{"branch": "main", "path": "out"}}}
	var pushed string
	for i, image := range []string{"v2", "v3", "v4"} {
		work := t.TempDir()
		cloned := mustRun(t, clone, work, cloneConfig)["commits"].(map[string]any)["out"]
		if i > 0 && cloned != pushed {
			t.Errorf("promotion %d: cloned %v, want the commit pushed before, %s", i, cloned, pushed)
		}
		if err := os.WriteFile(filepath.Join(work, "out", "app.yaml"), []byte("image: "+image+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		commit := mustRun(t, gitcommit.New(), work, map[string]any{"path": "out", "message": "update"})["commit"].(string)
		pushed = mustRun(t, push, work, map[string]any{"path": "out"})["commit"].(string)
		if pushed != commit || srv.Head(t, "deploy", "main") != commit {
			t.Errorf("promotion %d: pushed %s, remote main %s; want %s", i, pushed, srv.Head(t, "deploy", "main"), commit)
		}
	}
	if got := srv.Fetches("deploy"); got != 1 {
		t.Errorf("fetches = %d, want 1: only the first clone fetches", got)
	}
	if got := srv.ReadFile(t, "deploy", "main", "app.yaml"); got != "image: v4\n" {
		t.Errorf("remote app.yaml = %q, want image: v4", got)
	}
}

// TestRerunAfterPush is an executor killed after pushing: the job runs again on the workspace
// as it was before the push, possibly after others pushed on top.
func TestRerunAfterPush(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	work := t.TempDir()
	commit := prepare(t, url, work, map[string]string{"app.yaml": "image: v2\n"})
	saved := t.TempDir()
	if err := os.CopyFS(saved, os.DirFS(work)); err != nil {
		t.Fatal(err)
	}
	config := map[string]any{"path": "out"}
	first := mustRun(t, pushStep(), work, config)

	again := mustRun(t, pushStep(), saved, config)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("outputs of the re-run (-first +again):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"commit": commit, "branch": "main"}, again); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}

	// Someone else changes the same file on top of our commit; re-running still succeeds
	// without a conflict and without a second copy of our commit.
	theirs := srv.Commit(t, "deploy", "main", "v3", map[string]string{"app.yaml": "image: v3\n"})
	stale := t.TempDir()
	if err := os.CopyFS(stale, os.DirFS(saved)); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, pushStep(), stale, config)
	if got := out["commit"]; got != theirs {
		t.Errorf("commit = %v, want the remote head %s", got, theirs)
	}
	if got := len(srv.Log(t, "deploy", "main")); got != 4 {
		t.Errorf("remote has %d commits, want 4", got)
	}
}

func TestRace(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	workA, workB := t.TempDir(), t.TempDir()
	commitA := prepare(t, url, workA, map[string]string{"a.yaml": "a\n"})
	prepare(t, url, workB, map[string]string{"b.yaml": "b\n"})

	mustRun(t, pushStep(), workA, map[string]any{"path": "out"})
	out := mustRun(t, pushStep(), workB, map[string]any{"path": "out"})

	log := srv.Log(t, "deploy", "main")
	if len(log) != 4 || log[0] != out["commit"] || log[1] != commitA {
		t.Errorf("remote log = %v, want [B' %s ...] with B' = %v", log, commitA, out["commit"])
	}
	if diff := cmp.Diff([]string{"a.yaml", "app.yaml", "b.yaml"}, srv.Files(t, "deploy", "main")); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
	// The working tree was moved onto the integrated commit.
	if _, err := os.Stat(filepath.Join(workB, "out", "a.yaml")); err != nil {
		t.Errorf("working tree B lacks a.yaml: %v", err)
	}
}

func TestConflict(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	work := t.TempDir()
	prepare(t, url, work, map[string]string{"app.yaml": "image: v2\n"})
	theirs := srv.Commit(t, "deploy", "main", "v3", map[string]string{"app.yaml": "image: v3\n"})

	res, err := run(t, pushStep(), work, map[string]any{"path": "out"})

	o := steps.Classify(res, err)
	if o.Status != "Failed" || !o.Terminal || o.Reason != "MergeConflict" {
		t.Errorf("Classify() = %+v (%v), want Failed, terminal, MergeConflict", o, err)
	}
	if got := srv.Head(t, "deploy", "main"); got != theirs {
		t.Errorf("remote main = %s, want %s untouched", got, theirs)
	}
}

func TestGivesUp(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	work := t.TempDir()
	prepare(t, url, work, map[string]string{"a.yaml": "a\n"})
	n := 0
	srv.OnPush(func(string) {
		n++
		srv.Commit(t, "deploy", "main", "theirs", map[string]string{"other.yaml": string(rune('a' + n))})
	})

	res, err := run(t, pushStep(), work, map[string]any{"path": "out", "maxAttempts": 2})

	o := steps.Classify(res, err)
	if o.Status != "Errored" || o.Terminal || o.Reason != "PushRejected" {
		t.Errorf("Classify() = %+v (%v), want Errored, retryable, PushRejected", o, err)
	}
	if n != 3 {
		t.Errorf("server saw %d pushes, want 3 (one plus two integrate-and-push rounds)", n)
	}
}

func TestGenerateTargetBranch(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	work := t.TempDir()
	commit := prepare(t, url, work, map[string]string{"app.yaml": "image: v2\n"})
	// An older attempt left something else on the generated branch: it is overwritten.
	srv.Commit(t, "deploy", "main", "unrelated", nil)
	if _, err := exec.Command("git", "-C", srv.Dir(t, "deploy"), "branch", "kargo/promotion/prod.01", "main").CombinedOutput(); err != nil {
		t.Fatal(err)
	}

	out := mustRun(t, pushStep(), work, map[string]any{"path": "out", "generateTargetBranch": true})

	if diff := cmp.Diff(map[string]any{"commit": commit, "branch": "kargo/promotion/prod.01"}, out); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if got := srv.Head(t, "deploy", "kargo/promotion/prod.01"); got != commit {
		t.Errorf("remote generated branch = %s, want %s", got, commit)
	}
}

func TestTargetBranch(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	work := t.TempDir()
	commit := prepare(t, url, work, map[string]string{"app.yaml": "image: v2\n"})
	out := mustRun(t, pushStep(), work, map[string]any{"path": "out", "targetBranch": "env/prod", "provider": "gitlab"})
	want := map[string]any{"commit": commit, "branch": "env/prod", "commitURL": srv.URL + "/deploy/-/commit/" + commit}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if got := srv.Head(t, "deploy", "env/prod"); got != commit {
		t.Errorf("remote env/prod = %s, want %s", got, commit)
	}
}

func TestTag(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	work := t.TempDir()
	commit := prepare(t, url, work, map[string]string{"app.yaml": "image: v2\n"})
	if out, err := exec.Command("git", "-C", filepath.Join(work, "out"), "tag", "v2").CombinedOutput(); err != nil {
		t.Fatalf("git tag: %v: %s", err, out)
	}
	for attempt := range 2 {
		out := mustRun(t, pushStep(), work, map[string]any{"path": "out", "tag": "v2"})
		if diff := cmp.Diff(map[string]any{"commit": commit, "branch": "main"}, out); diff != "" {
			t.Errorf("attempt %d: outputs (-want +got):\n%s", attempt, diff)
		}
	}
	if got := srv.Git(t, "deploy", "rev-parse", "refs/tags/v2"); got != commit+"\n" {
		t.Errorf("remote tag v2 = %q, want %s", got, commit)
	}
	if got := srv.Head(t, "deploy", "main"); got == commit {
		t.Error("a tag push also pushed the branch")
	}
}

func TestErrors(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	work := t.TempDir()
	prepare(t, url, work, nil)
	if _, err := gitrepo.Clone(t.Context(), filepath.Join(work, "detached"), gitrepo.CloneOptions{URL: url, Commit: srv.Head(t, "deploy", "main")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		config map[string]any
		is     error
		reason string
	}{
		{"no path", map[string]any{}, steps.ErrInvalidConfig, "InvalidConfig"},
		{"branch and tag", map[string]any{"path": "out", "targetBranch": "x", "tag": "v1"}, steps.ErrInvalidConfig, "InvalidConfig"},
		{"generated and target", map[string]any{"path": "out", "targetBranch": "x", "generateTargetBranch": true}, steps.ErrInvalidConfig, "InvalidConfig"},
		{"zero attempts", map[string]any{"path": "out", "maxAttempts": 0}, steps.ErrInvalidConfig, "InvalidConfig"},
		{"unknown provider", map[string]any{"path": "out", "provider": "sourceforge"}, steps.ErrInvalidConfig, "InvalidConfig"},
		{"path escapes", map[string]any{"path": "../../out"}, steps.ErrPathEscape, "PathEscapes"},
		{"not a working tree", map[string]any{"path": "missing"}, gitrepo.ErrNotRepository, "NotARepository"},
		{"detached", map[string]any{"path": "detached"}, gitrepo.ErrDetachedHead, "DetachedHead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := run(t, pushStep(), work, tt.config)
			if !errors.Is(err, tt.is) {
				t.Fatalf("Run() = %v, want %v", err, tt.is)
			}
			if o := steps.Classify(res, err); o.Status != "Failed" || !o.Terminal || o.Reason != tt.reason {
				t.Errorf("Classify() = %+v, want Failed, terminal, %s", o, tt.reason)
			}
		})
	}
}

// TestRemoteRewritten: a working tree whose origin an earlier step rewrote to a directory on
// the host is not pushed there; the step fails naming the option that would allow it.
func TestRemoteRewritten(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	srv.Repo(t, "other-project", map[string]string{"a.txt": "a\n"})
	target := srv.Dir(t, "other-project")
	before := srv.Head(t, "other-project", "main")
	work := t.TempDir()
	prepare(t, url, work, map[string]string{"app.yaml": "image: v2\n"})
	for _, remote := range []string{"file://" + target, target} {
		gittest.RunGit(t, filepath.Join(work, "out"), "remote", "set-url", "origin", remote)
		for _, config := range []map[string]any{{"path": "out"}, {"path": "out", "targetBranch": "main", "force": true}} {
			_, err := run(t, pushStep(), work, config)
			o := steps.Classify(steps.Result{}, err)
			if !errors.Is(err, gitrepo.ErrTransportNotAllowed) || !o.Terminal || o.Reason != "TransportNotAllowed" {
				t.Errorf("push to %s: Run() = %v (%+v), want terminal TransportNotAllowed", remote, err, o)
			} else if !strings.Contains(err.Error(), "--allow-git-transport file") {
				t.Errorf("error %q does not name the option", err)
			}
		}
	}
	if got := srv.Head(t, "other-project", "main"); got != before {
		t.Errorf("the host's repository moved from %s to %s", before, got)
	}
	// Allowed, a push to a mirror of the repository on the host works.
	mirror := filepath.Join(t.TempDir(), "mirror.git")
	gittest.RunGit(t, "", "clone", "--quiet", "--bare", srv.Dir(t, "deploy"), mirror)
	gittest.RunGit(t, filepath.Join(work, "out"), "remote", "set-url", "origin", "file://"+mirror)
	allowed := gitpush.New(gitpush.WithBackoff(func(int) time.Duration { return 0 }), gitpush.WithTransports(gitrepo.Transports{gitrepo.TransportFile}))
	out, err := run(t, allowed, work, map[string]any{"path": "out"})
	if err != nil {
		t.Fatalf("push with file allowed: %v", err)
	}
	if got := strings.TrimSpace(gittest.RunGit(t, mirror, "rev-parse", "refs/heads/main")); got != out.Outputs["commit"] {
		t.Errorf("mirror main = %s, want the pushed commit %v", got, out.Outputs["commit"])
	}
}
