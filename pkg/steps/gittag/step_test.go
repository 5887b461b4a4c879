package gittag_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitpush"
	"github.com/drayhq/dray/pkg/steps/gittag"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, gittag.Name, gittag.Config{})
}

func TestInfo(t *testing.T) {
	want := steps.Info{Name: "git-tag", Executor: "git"}
	if diff := cmp.Diff(want, gittag.New().Info()); diff != "" {
		t.Errorf("Info() (-want +got):\n%s", diff)
	}
}

// TestGolden covers what needs no remote: bad configs, escaping paths, and paths that hold no
// working tree.
func TestGolden(t *testing.T) {
	steptest.Golden(t, gittag.New())
}

// clone makes a workspace whose out/ is a clone of branch main of a new repository "deploy",
// with the author Promoter, and returns it.
func clone(t *testing.T, srv *gittest.Server) (*steps.Context, *gitrepo.Repo) {
	t.Helper()
	url := srv.Repo(t, "deploy", map[string]string{"app.yaml": "image: v1\n"})
	sc := steptest.NewContext(t, nil, nil)
	r, err := gitrepo.Clone(t.Context(), filepath.Join(sc.WorkDir, "out"), gitrepo.CloneOptions{
		URL: url, Branch: "main", Author: gitrepo.Author{Name: "Promoter", Email: "promoter@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sc, r
}

func run(t *testing.T, sc *steps.Context, config map[string]any) (steps.Result, error) {
	t.Helper()
	sc.Config = config
	return steptest.Run(t, gittag.New(), sc)
}

// TestTagAndPush: git-tag makes an annotated tag at HEAD with the clone's identity as tagger,
// git-push publishes it, and running git-tag again with the same config succeeds unchanged.
func TestTagAndPush(t *testing.T) {
	srv := gittest.NewServer(t)
	sc, r := clone(t, srv)
	head, _ := r.Head()
	config := map[string]any{"path": "out", "tag": "release-1", "message": "Release 1\n\nto prod"}

	for attempt := range 2 {
		res, err := run(t, sc, config)
		if got := steptest.Outcome(res, err); got != "status: Succeeded\n" {
			t.Fatalf("attempt %d: outcome = %q (%v), want Succeeded", attempt, got, err)
		}
		if diff := cmp.Diff(map[string]any{"commit": head}, res.Outputs); diff != "" {
			t.Errorf("attempt %d: outputs (-want +got):\n%s", attempt, diff)
		}
	}
	sc.Config = map[string]any{"path": "out", "tag": "release-1"}
	if _, err := gitpush.New().Run(t.Context(), sc); err != nil {
		t.Fatalf("git-push tag: %v", err)
	}
	if got := strings.TrimSpace(srv.Git(t, "deploy", "cat-file", "-t", "refs/tags/release-1")); got != "tag" {
		t.Errorf("remote refs/tags/release-1 is a %q, want an annotated tag", got)
	}
	if got := strings.TrimSpace(srv.Git(t, "deploy", "rev-parse", "refs/tags/release-1^{commit}")); got != head {
		t.Errorf("remote tag points at %s, want HEAD %s", got, head)
	}
	got := srv.Git(t, "deploy", "for-each-ref", "--format=%(taggername) %(taggeremail)|%(contents)", "refs/tags/release-1")
	if want := "Promoter <promoter@example.com>|Release 1\n\nto prod\n\n"; got != want {
		t.Errorf("remote tag = %q, want %q", got, want)
	}
}

// TestTagExists: an existing tag with another message, or at another commit, is a retryable
// TagExists error without force; force moves it to HEAD.
func TestTagExists(t *testing.T) {
	srv := gittest.NewServer(t)
	sc, r := clone(t, srv)
	first, _ := r.Head()
	if _, err := run(t, sc, map[string]any{"path": "out", "tag": "v1", "message": "one"}); err != nil {
		t.Fatal(err)
	}

	res, err := run(t, sc, map[string]any{"path": "out", "tag": "v1", "message": "another"})
	if o := steps.Classify(res, err); o.Status != "Errored" || o.Terminal || o.Reason != "TagExists" {
		t.Errorf("same tag, other message: outcome = %+v, want Errored, retryable, reason TagExists", o)
	}

	if err := os.WriteFile(filepath.Join(r.Dir(), "app.yaml"), []byte("image: v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, _, err := r.Commit("v2", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = run(t, sc, map[string]any{"path": "out", "tag": "v1", "message": "one"})
	if o := steps.Classify(res, err); o.Reason != "TagExists" {
		t.Errorf("same tag at an older commit: outcome = %+v, want reason TagExists", o)
	}
	if got := gittest.RunGit(t, r.Dir(), "rev-parse", "v1^{commit}"); strings.TrimSpace(got) != first {
		t.Errorf("without force the tag moved to %s, want it at %s", got, first)
	}

	res, err = run(t, sc, map[string]any{"path": "out", "tag": "v1", "message": "moved", "force": true})
	if err != nil {
		t.Fatalf("force: Run() = %v", err)
	}
	if diff := cmp.Diff(map[string]any{"commit": second}, res.Outputs); diff != "" {
		t.Errorf("force: outputs (-want +got):\n%s", diff)
	}
	if got := gittest.RunGit(t, r.Dir(), "rev-parse", "v1^{commit}"); strings.TrimSpace(got) != second {
		t.Errorf("with force the tag is at %s, want %s", strings.TrimSpace(got), second)
	}
	if got := gittest.RunGit(t, r.Dir(), "tag", "-l", "--format=%(contents:subject)", "v1"); strings.TrimSpace(got) != "moved" {
		t.Errorf("moved tag's message = %q, want moved", got)
	}
}

func TestInvalidTagName(t *testing.T) {
	srv := gittest.NewServer(t)
	for _, name := range []string{"bad..name", "ends.lock", "has space", "-leading/../x"} {
		sc, _ := clone(t, srv)
		res, err := run(t, sc, map[string]any{"path": "out", "tag": name, "message": "m"})
		if o := steps.Classify(res, err); o.Status != "Failed" || !o.Terminal || o.Reason != "InvalidTagName" {
			t.Errorf("tag %q: outcome = %+v, want Failed, terminal, reason InvalidTagName", name, o)
		}
		srv = gittest.NewServer(t) // a fresh repository "deploy" for the next name
	}
}
