package gitclear_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitclear"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, gitclear.Name, gitclear.Config{})
}

func TestInfo(t *testing.T) {
	want := steps.Info{Name: "git-clear", Executor: "git"}
	if diff := cmp.Diff(want, gitclear.New().Info()); diff != "" {
		t.Errorf("Info() (-want +got):\n%s", diff)
	}
}

// TestGolden covers what needs no remote: bad configs, escaping paths, and paths that hold no
// working tree.
func TestGolden(t *testing.T) {
	steptest.Golden(t, gitclear.New())
}

// TestClear clones a repository, adds untracked and ignored files and a symlink leading out of
// the workspace, and clears: only .git is left, the symlink's target survives, and committing
// and pushing afterwards empties the remote branch. Clearing again changes nothing.
func TestClear(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "deploy", map[string]string{
		"app.yaml": "image: v1\n", "env/prod/values.yaml": "replicas: 3\n", ".gitignore": "*.tmp\n",
	})
	sc := steptest.NewContext(t, map[string]any{"path": "./out"}, nil)
	r, err := gitrepo.Clone(t.Context(), filepath.Join(sc.WorkDir, "out"), gitrepo.CloneOptions{URL: url, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := r.Head()
	outside := filepath.Join(t.TempDir(), "keep.txt")
	if err := os.WriteFile(outside, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"untracked.yaml": "x\n", "scratch.tmp": "ignored\n", "new/dir/f.txt": "y\n"} {
		p := filepath.Join(r.Dir(), filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(r.Dir(), "link")); err != nil {
		t.Fatal(err)
	}

	for attempt := range 2 { // clearing again must give the same result
		res, err := steptest.Run(t, gitclear.New(), sc)
		if got := steptest.Outcome(res, err); got != "status: Succeeded\n" {
			t.Fatalf("attempt %d: outcome = %q, want Succeeded", attempt, got)
		}
		if len(res.Outputs) != 0 {
			t.Errorf("attempt %d: outputs = %v, want none", attempt, res.Outputs)
		}
		entries, err := os.ReadDir(r.Dir())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if diff := cmp.Diff([]string{".git"}, names); diff != "" {
			t.Errorf("attempt %d: working tree after git-clear (-want +got):\n%s", attempt, diff)
		}
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "keep\n" {
		t.Errorf("file behind the symlink = %q, %v; want it untouched", b, err)
	}
	if head, _ := r.Head(); head != before {
		t.Errorf("HEAD moved from %s to %s", before, head)
	}

	// The removals are what the next commit records.
	sha, created, err := r.Commit("clear", nil)
	if err != nil || !created {
		t.Fatalf("Commit() after git-clear = %s, %v, %v; want a new commit", sha, created, err)
	}
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Files(t, "deploy", "main"); len(got) != 0 {
		t.Errorf("remote files after clear, commit and push = %v, want none", got)
	}
}

// TestClearThenWrite: files written after git-clear are all that the next commit holds.
func TestClearThenWrite(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "deploy", map[string]string{"old/a.yaml": "a\n", "keep.yaml": "old\n"})
	sc := steptest.NewContext(t, map[string]any{"path": "out"}, nil)
	r, err := gitrepo.Clone(t.Context(), filepath.Join(sc.WorkDir, "out"), gitrepo.CloneOptions{URL: url, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := steptest.Run(t, gitclear.New(), sc); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir(), "keep.yaml"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Commit("render", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"keep.yaml"}, srv.Files(t, "deploy", "main")); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
	if got := srv.ReadFile(t, "deploy", "main", "keep.yaml"); got != "new\n" {
		t.Errorf("keep.yaml = %q, want new", got)
	}
}
