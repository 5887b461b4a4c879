package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
)

func noBackoff(int) time.Duration { return 0 }

// newRepo creates the repository "app" holding files, with two commits on main so that a
// depth-1 clone of it is really shallow.
func newRepo(t *testing.T, srv *gittest.Server, files map[string]string) string {
	t.Helper()
	url := srv.Repo(t, "app", files)
	srv.Commit(t, "app", "main", "more history", nil)
	return url
}

// clone clones branch main of url into a fresh directory.
func clone(t *testing.T, url string) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Clone(t.Context(), filepath.Join(t.TempDir(), "wt"), gitrepo.CloneOptions{URL: url, Branch: "main"})
	if err != nil {
		t.Fatalf("Clone(%s) = %v", url, err)
	}
	return r
}

func writeFile(t *testing.T, r *gitrepo.Repo, path, content string) {
	t.Helper()
	full := filepath.Join(r.Dir(), filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func commit(t *testing.T, r *gitrepo.Repo, msg string) string {
	t.Helper()
	sha, created, err := r.Commit(msg, nil)
	if err != nil || !created {
		t.Fatalf("Commit(%q) = %s, %v, %v; want a new commit", msg, sha, created, err)
	}
	return sha
}

func push(t *testing.T, r *gitrepo.Repo) string {
	t.Helper()
	sha, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff})
	if err != nil {
		t.Fatalf("Push() = %v", err)
	}
	return sha
}

func TestCloneCommitPush(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"values.yaml": "tag: v1\n", "old.txt": "x\n"})
	initial := srv.Head(t, "app", "main")

	r := clone(t, url)
	if head, _ := r.Head(); head != initial {
		t.Errorf("Head() = %s, want %s", head, initial)
	}
	if _, err := os.Stat(filepath.Join(r.Dir(), ".git", "shallow")); err != nil {
		t.Errorf("branch clone is not shallow: %v", err)
	}
	writeFile(t, r, "values.yaml", "tag: v2\n")
	writeFile(t, r, "new/file.txt", "new\n")
	if err := os.Remove(filepath.Join(r.Dir(), "old.txt")); err != nil {
		t.Fatal(err)
	}
	sha := commit(t, r, "Promote v2\n\nDetails.")
	if got := push(t, r); got != sha {
		t.Errorf("Push() = %s, want the commit %s", got, sha)
	}

	if diff := cmp.Diff([]string{sha, initial}, srv.Log(t, "app", "main")[:2]); diff != "" {
		t.Errorf("remote log (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"new/file.txt", "values.yaml"}, srv.Files(t, "app", "main")); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
	if got := srv.ReadFile(t, "app", "main", "values.yaml"); got != "tag: v2\n" {
		t.Errorf("remote values.yaml = %q, want %q", got, "tag: v2\n")
	}
	if got := srv.Git(t, "app", "log", "-1", "--format=%an <%ae>|%B", sha); strings.TrimSpace(got) != "Dray <no-reply@dray.dev>|Promote v2\n\nDetails." {
		t.Errorf("remote commit = %q, want the default author and the message", got)
	}
}

func TestCommitNothingChanged(t *testing.T) {
	srv := gittest.NewServer(t)
	r := clone(t, srv.Repo(t, "app", map[string]string{"a.txt": "a\n"}))
	head, _ := r.Head()
	sha, created, err := r.Commit("nothing", nil)
	if err != nil || created || sha != head {
		t.Errorf("Commit() = %s, %v, %v; want %s, false, nil", sha, created, err, head)
	}
}

func TestCloneAuthor(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "app", nil)
	dir := filepath.Join(t.TempDir(), "wt")
	want := gitrepo.Author{Name: "Promoter", Email: "promoter@example.com"}
	r, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Author: want})
	if err != nil {
		t.Fatal(err)
	}
	// A later step opens the working tree afresh.
	r, err = gitrepo.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Author(); got != want {
		t.Errorf("Author() = %v, want %v", got, want)
	}
	writeFile(t, r, "a.txt", "a\n")
	sha := commit(t, r, "add a")
	push(t, r)
	if got := strings.TrimSpace(srv.Git(t, "app", "log", "-1", "--format=%an <%ae>", sha)); got != "Promoter <promoter@example.com>" {
		t.Errorf("remote author = %q, want Promoter <promoter@example.com>", got)
	}
}

// TestPushShallowAfterRemoteMoved is go-git's "object not found" case: a depth-1 clone pushes
// after someone else pushed. Push must integrate and keep both commits.
func TestPushShallowAfterRemoteMoved(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "app", map[string]string{"a.txt": "a\n"})
	// History deeper than the clone: the clone's base commit has a parent it lacks.
	srv.Commit(t, "app", "main", "second", map[string]string{"a.txt": "a2\n"})
	r := clone(t, url)
	writeFile(t, r, "mine.txt", "mine\n")
	commit(t, r, "mine")
	theirs := srv.Commit(t, "app", "main", "theirs", map[string]string{"theirs.txt": "theirs\n"})

	sha := push(t, r)

	log := srv.Log(t, "app", "main")
	if len(log) != 4 || log[0] != sha || log[1] != theirs {
		t.Errorf("remote log = %v, want [%s %s <second> <initial>]", log, sha, theirs)
	}
	if diff := cmp.Diff([]string{"a.txt", "mine.txt", "theirs.txt"}, srv.Files(t, "app", "main")); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
	if head, _ := r.Head(); head != sha {
		t.Errorf("Head() = %s, want the pushed %s", head, sha)
	}
	if _, err := os.Stat(filepath.Join(r.Dir(), "theirs.txt")); err != nil {
		t.Errorf("working tree lacks the integrated file: %v", err)
	}
	if got, created, err := r.Commit("nothing", nil); created || err != nil || got != sha {
		t.Errorf("Commit() after integration = %s, %v, %v; want a clean working tree at %s", got, created, err, sha)
	}
	if got := strings.TrimSpace(srv.Git(t, "app", "log", "-1", "--format=%s", sha)); got != "mine" {
		t.Errorf("replayed commit message = %q, want mine", got)
	}
}

func TestPushRace(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	repos := []*gitrepo.Repo{clone(t, url), clone(t, url)}
	for i, r := range repos {
		writeFile(t, r, []string{"one.txt", "two.txt"}[i], "x\n")
		commit(t, r, []string{"one", "two"}[i])
	}
	var wg sync.WaitGroup
	errs := make([]error, len(repos))
	for i, r := range repos {
		wg.Go(func() {
			_, errs[i] = r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Push(%d) = %v", i, err)
		}
	}
	if got := len(srv.Log(t, "app", "main")); got != 4 {
		t.Errorf("remote has %d commits, want 4", got)
	}
	if diff := cmp.Diff([]string{"a.txt", "one.txt", "two.txt"}, srv.Files(t, "app", "main")); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
}

func TestPushMergesSameFile(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"values.yaml": "dev: v1\nqa: v1\nstaging: v1\nprod: v1\n"})
	r := clone(t, url)
	writeFile(t, r, "values.yaml", "dev: v2\nqa: v1\nstaging: v1\nprod: v1\n")
	commit(t, r, "dev v2")
	srv.Commit(t, "app", "main", "prod v2", map[string]string{"values.yaml": "dev: v1\nqa: v1\nstaging: v1\nprod: v2\n"})

	push(t, r)

	if got, want := srv.ReadFile(t, "app", "main", "values.yaml"), "dev: v2\nqa: v1\nstaging: v1\nprod: v2\n"; got != want {
		t.Errorf("remote values.yaml = %q, want %q", got, want)
	}
}

func TestPushConflict(t *testing.T) {
	tests := []struct {
		name   string
		ours   func(t *testing.T, r *gitrepo.Repo)
		theirs map[string]string // "" deletes
		paths  []string
	}{
		{
			name:   "same line",
			ours:   func(t *testing.T, r *gitrepo.Repo) { writeFile(t, r, "values.yaml", "tag: v2\n") },
			theirs: map[string]string{"values.yaml": "tag: v3\n"},
			paths:  []string{"values.yaml"},
		},
		{
			name: "deleted and changed",
			ours: func(t *testing.T, r *gitrepo.Repo) {
				if err := os.Remove(filepath.Join(r.Dir(), "values.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			theirs: map[string]string{"values.yaml": "tag: v3\n"},
			paths:  []string{"values.yaml"},
		},
		{
			name:   "added differently",
			ours:   func(t *testing.T, r *gitrepo.Repo) { writeFile(t, r, "new.yaml", "a: 1\n") },
			theirs: map[string]string{"new.yaml": "a: 2\n"},
			paths:  []string{"new.yaml"},
		},
		{
			name:   "file and directory",
			ours:   func(t *testing.T, r *gitrepo.Repo) { writeFile(t, r, "x/y.yaml", "y\n") },
			theirs: map[string]string{"x": "x\n"},
			paths:  []string{"x/y.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := gittest.NewServer(t)
			url := newRepo(t, srv, map[string]string{"values.yaml": "tag: v1\n", "other.txt": "o\n"})
			r := clone(t, url)
			tt.ours(t, r)
			commit(t, r, "ours")
			theirs := srv.Commit(t, "app", "main", "theirs", tt.theirs)

			_, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff})

			var conflict *gitrepo.ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("Push() = %v, want a *ConflictError", err)
			}
			if diff := cmp.Diff(tt.paths, conflict.Paths); diff != "" {
				t.Errorf("conflicting paths (-want +got):\n%s", diff)
			}
			if got := srv.Head(t, "app", "main"); got != theirs {
				t.Errorf("remote head = %s, want theirs %s untouched", got, theirs)
			}
		})
	}
}

func TestPushIntegratesTrees(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n", "dir/b.txt": "b\n", "gone/z.txt": "z\n"})
	r := clone(t, url)
	if err := os.Remove(filepath.Join(r.Dir(), "dir", "b.txt")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, r, "dir/c.txt", "c\n")
	commit(t, r, "ours")
	srv.Commit(t, "app", "main", "theirs", map[string]string{"a.txt": "", "gone/z.txt": "", "dir/d.txt": "d\n"})

	push(t, r)

	if diff := cmp.Diff([]string{"dir/c.txt", "dir/d.txt"}, srv.Files(t, "app", "main")); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
	var local []string
	err := filepath.WalkDir(r.Dir(), func(p string, d os.DirEntry, err error) error {
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(r.Dir(), p)
		local = append(local, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{".", "dir", "dir/c.txt", "dir/d.txt"}, local); diff != "" {
		t.Errorf("working tree (-want +got):\n%s", diff)
	}
}

func TestPushTwice(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"values.yaml": "tag: v1\n"})
	dir := filepath.Join(t.TempDir(), "wt")
	r, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r, "values.yaml", "tag: v2\n")
	sha := commit(t, r, "v2")
	// The workspace as it was before the push, as an executor killed after pushing leaves it.
	before := filepath.Join(t.TempDir(), "before")
	if err := os.CopyFS(before, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}

	if got := push(t, r); got != sha {
		t.Fatalf("Push() = %s, want %s", got, sha)
	}
	if got := push(t, r); got != sha {
		t.Errorf("second Push() = %s, want %s", got, sha)
	}
	stale, err := gitrepo.Open(before, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := push(t, stale); got != sha {
		t.Errorf("Push() from the pre-push copy = %s, want %s", got, sha)
	}
	// Someone builds on our commit, touching the same file; pushing the copy again must
	// see that our commit is already there rather than conflict.
	theirs := srv.Commit(t, "app", "main", "v3", map[string]string{"values.yaml": "tag: v3\n"})
	if err := os.RemoveAll(before); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(before, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	stale, err = gitrepo.Open(before, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := push(t, stale); got != theirs {
		t.Errorf("Push() after others built on it = %s, want the remote head %s", got, theirs)
	}
	if got := len(srv.Log(t, "app", "main")); got != 4 {
		t.Errorf("remote has %d commits, want 4", got)
	}
}

func TestPushOtherBranchAndForce(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	r := clone(t, url)
	writeFile(t, r, "b.txt", "b\n")
	sha := commit(t, r, "b")
	got, err := r.Push(t.Context(), gitrepo.PushOptions{Branch: "feature"})
	if err != nil || got != sha {
		t.Fatalf("Push(feature) = %s, %v; want %s", got, err, sha)
	}
	if got := srv.Head(t, "app", "feature"); got != sha {
		t.Errorf("remote feature = %s, want %s", got, sha)
	}
	srv.Commit(t, "app", "feature", "theirs", map[string]string{"a.txt": "changed\n"})
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{Branch: "feature", Force: true}); err != nil {
		t.Fatalf("Push(feature, force) = %v", err)
	}
	if got := srv.Head(t, "app", "feature"); got != sha {
		t.Errorf("remote feature after a forced push = %s, want %s", got, sha)
	}
}

// TestPushRejectedByServer has someone else push while our push is on its way, so the server
// (not go-git) rejects it.
func TestPushRejectedByServer(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	r := clone(t, url)
	writeFile(t, r, "b.txt", "b\n")
	commit(t, r, "b")
	var once sync.Once
	srv.OnPush(func(string) {
		once.Do(func() { srv.Commit(t, "app", "main", "theirs", map[string]string{"c.txt": "c\n"}) })
	})

	push(t, r)

	if diff := cmp.Diff([]string{"a.txt", "b.txt", "c.txt"}, srv.Files(t, "app", "main")); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
}

func TestPushGivesUp(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	r := clone(t, url)
	writeFile(t, r, "b.txt", "b\n")
	commit(t, r, "b")
	// Someone else always pushes first.
	n := 0
	srv.OnPush(func(string) {
		n++
		srv.Commit(t, "app", "main", "theirs", map[string]string{"c.txt": strings.Repeat("c", n)})
	})
	var delays []int
	backoff := func(n int) time.Duration { delays = append(delays, n); return 0 }

	_, err := r.Push(t.Context(), gitrepo.PushOptions{MaxAttempts: 3, Backoff: backoff})

	if !errors.Is(err, gitrepo.ErrPushRejected) {
		t.Fatalf("Push() = %v, want ErrPushRejected", err)
	}
	// A plain push, then 3 integrate-and-push rounds with a backoff before the 2nd and 3rd.
	if n != 4 {
		t.Errorf("server saw %d pushes, want 4", n)
	}
	if diff := cmp.Diff([]int{1, 2}, delays); diff != "" {
		t.Errorf("backoff calls (-want +got):\n%s", diff)
	}
}

func TestCloneCreateBranch(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "app", map[string]string{"a.txt": "a\n"})
	opts := gitrepo.CloneOptions{URL: url, Branch: "env/prod", Create: true}
	r, err := gitrepo.Clone(t.Context(), filepath.Join(t.TempDir(), "wt"), opts)
	if err != nil {
		t.Fatalf("Clone(create) = %v", err)
	}
	head, _ := r.Head()
	if got := srv.Head(t, "app", "env/prod"); got != head {
		t.Errorf("remote env/prod = %s, want the created %s", got, head)
	}
	if got := srv.Git(t, "app", "log", "--format=%s|%P", "env/prod"); got != "Initial commit|\n" {
		t.Errorf("env/prod history = %q, want one orphan commit \"Initial commit\"", got)
	}
	if files := srv.Files(t, "app", "env/prod"); len(files) != 0 {
		t.Errorf("env/prod files = %v, want none", files)
	}
	// The branch now exists: creating again checks it out.
	r2, err := gitrepo.Clone(t.Context(), filepath.Join(t.TempDir(), "wt"), opts)
	if err != nil {
		t.Fatalf("second Clone(create) = %v", err)
	}
	if got, _ := r2.Head(); got != head {
		t.Errorf("second Clone(create) Head() = %s, want %s", got, head)
	}
	// And one can commit and push on it.
	writeFile(t, r, "manifest.yaml", "kind: x\n")
	sha := commit(t, r, "render")
	if got := push(t, r); got != sha {
		t.Errorf("Push() = %s, want %s", got, sha)
	}
}

func TestCloneMissingBranch(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "app", nil)
	dir := filepath.Join(t.TempDir(), "wt")
	_, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "nope"})
	if !errors.Is(err, gitrepo.ErrBranchNotFound) {
		t.Errorf("Clone(missing branch) = %v, want ErrBranchNotFound", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed Clone left %s behind: %v", dir, err)
	}
}

func TestCloneAgain(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "app", map[string]string{"a.txt": "a\n"})
	other := srv.Repo(t, "other", nil)
	dir := filepath.Join(t.TempDir(), "wt")
	opts := gitrepo.CloneOptions{URL: url, Branch: "main"}
	if _, err := gitrepo.Clone(t.Context(), dir, opts); err != nil {
		t.Fatal(err)
	}
	r, err := gitrepo.Clone(t.Context(), dir, opts)
	if err != nil {
		t.Fatalf("Clone() into its own clone = %v", err)
	}
	if got, want := r.URL(), url; got != want {
		t.Errorf("URL() = %s, want %s", got, want)
	}
	tests := []struct {
		name string
		opts gitrepo.CloneOptions
	}{
		{"other branch", gitrepo.CloneOptions{URL: url, Branch: "dev"}},
		{"other repository", gitrepo.CloneOptions{URL: other}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := gitrepo.Clone(t.Context(), dir, tt.opts); !errors.Is(err, gitrepo.ErrPathInUse) {
				t.Errorf("Clone() = %v, want ErrPathInUse", err)
			}
		})
	}
}

func TestCloneTagAndCommit(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "app", map[string]string{"a.txt": "v1\n"})
	first := srv.Head(t, "app", "main")
	srv.Git(t, "app", "tag", "-a", "-m", "release", "v1", first)
	srv.Commit(t, "app", "main", "v2", map[string]string{"a.txt": "v2\n"})

	tests := []struct {
		name string
		opts gitrepo.CloneOptions
	}{
		{"tag", gitrepo.CloneOptions{URL: url, Tag: "v1"}},
		{"commit", gitrepo.CloneOptions{URL: url, Commit: first}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "wt")
			for range 2 { // the second time reuses the clone
				r, err := gitrepo.Clone(t.Context(), dir, tt.opts)
				if err != nil {
					t.Fatalf("Clone() = %v", err)
				}
				if head, _ := r.Head(); head != first {
					t.Errorf("Head() = %s, want %s", head, first)
				}
				if b, _ := r.Branch(); b != "" {
					t.Errorf("Branch() = %q, want detached", b)
				}
			}
			content, err := os.ReadFile(filepath.Join(dir, "a.txt"))
			if err != nil || string(content) != "v1\n" {
				t.Errorf("a.txt = %q, %v; want v1", content, err)
			}
		})
	}
}

func TestPushDetachedNeedsBranch(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "app", nil)
	r, err := gitrepo.Clone(t.Context(), filepath.Join(t.TempDir(), "wt"), gitrepo.CloneOptions{URL: url, Commit: srv.Head(t, "app", "main")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{}); !errors.Is(err, gitrepo.ErrDetachedHead) {
		t.Errorf("Push() = %v, want ErrDetachedHead", err)
	}
}

func TestPushKeepsUncommittedChanges(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	r := clone(t, url)
	writeFile(t, r, "b.txt", "b\n")
	commit(t, r, "b")
	srv.Commit(t, "app", "main", "theirs", map[string]string{"c.txt": "c\n"})
	writeFile(t, r, "a.txt", "uncommitted\n")
	writeFile(t, r, "untracked.txt", "u\n")

	_, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff})
	if !errors.Is(err, gitrepo.ErrDirtyWorktree) {
		t.Fatalf("Push() with uncommitted changes = %v, want ErrDirtyWorktree", err)
	}
	if content, _ := os.ReadFile(filepath.Join(r.Dir(), "a.txt")); string(content) != "uncommitted\n" {
		t.Errorf("a.txt = %q, want the uncommitted change kept", content)
	}

	// Untracked files do not stop integration, and survive it.
	writeFile(t, r, "a.txt", "a\n")
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff}); err != nil {
		t.Fatalf("Push() with an untracked file = %v", err)
	}
	if content, _ := os.ReadFile(filepath.Join(r.Dir(), "untracked.txt")); string(content) != "u\n" {
		t.Errorf("untracked.txt = %q, want it kept", content)
	}
}

func TestPushStopsWithContext(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	r := clone(t, url)
	writeFile(t, r, "b.txt", "b\n")
	commit(t, r, "b")
	n := 0
	srv.OnPush(func(string) {
		n++
		srv.Commit(t, "app", "main", "theirs", map[string]string{"c.txt": strings.Repeat("c", n)})
	})
	ctx, cancel := context.WithCancel(t.Context())
	backoff := func(int) time.Duration { cancel(); return time.Hour }

	_, err := r.Push(ctx, gitrepo.PushOptions{Backoff: backoff})

	if !errors.Is(err, context.Canceled) {
		t.Errorf("Push() = %v, want context.Canceled", err)
	}
}

func TestDefaultBackoff(t *testing.T) {
	tests := []struct {
		n        int
		min, max time.Duration
	}{
		{1, time.Second, 1500 * time.Millisecond},
		{2, 1500 * time.Millisecond, 2250 * time.Millisecond},
		{3, 2250 * time.Millisecond, 3375 * time.Millisecond},
		{9, 25 * time.Second, 30 * time.Second},
		{50, 30 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		for range 20 {
			if got := gitrepo.DefaultBackoff(tt.n); got < tt.min || got > tt.max {
				t.Errorf("DefaultBackoff(%d) = %v, want within [%v, %v]", tt.n, got, tt.min, tt.max)
			}
		}
	}
}
