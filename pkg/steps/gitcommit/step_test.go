package gitcommit_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitcommit"
)

func newContext(t *testing.T, workDir string, config map[string]any) *steps.Context {
	t.Helper()
	root, err := os.OpenRoot(workDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = root.Close() })
	return &steps.Context{
		Project: "p", Stage: "prod", Promotion: "prod.01", Alias: "commit", Attempt: 1,
		Config: config, WorkDir: workDir, Dir: root, Log: slog.New(slog.DiscardHandler),
	}
}

// cloneInto clones branch main of a new repository into <workspace>/out.
func cloneInto(t *testing.T, srv *gittest.Server, work string) *gitrepo.Repo {
	t.Helper()
	url := srv.Repo(t, "deploy", map[string]string{"app.yaml": "image: v1\n", "old.yaml": "x\n"})
	r, err := gitrepo.Clone(t.Context(), filepath.Join(work, "out"), gitrepo.CloneOptions{
		URL: url, Branch: "main", Author: gitrepo.Author{Name: "Promoter", Email: "promoter@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestInfo(t *testing.T) {
	want := steps.Info{Name: "git-commit", Executor: "git"}
	if diff := cmp.Diff(want, gitcommit.New().Info()); diff != "" {
		t.Errorf("Info() (-want +got):\n%s", diff)
	}
}

func TestCommit(t *testing.T) {
	srv := gittest.NewServer(t)
	work := t.TempDir()
	r := cloneInto(t, srv, work)
	before, _ := r.Head()
	if err := os.WriteFile(filepath.Join(work, "out", "app.yaml"), []byte("image: v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(work, "out", "old.yaml")); err != nil {
		t.Fatal(err)
	}
	config := map[string]any{"path": "out", "message": "Promote v2\n\nto prod"}

	res, err := gitcommit.New().Run(t.Context(), newContext(t, work, config))
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	after, _ := r.Head()
	if after == before {
		t.Fatal("no commit was made")
	}
	if diff := cmp.Diff(map[string]any{"commit": after}, res.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if got := steps.Classify(res, err).Status; got != steps.StatusSucceeded {
		t.Errorf("status = %s, want Succeeded", got)
	}
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"app.yaml"}, srv.Files(t, "deploy", "main")); diff != "" {
		t.Errorf("committed files (-want +got):\n%s", diff)
	}
	if got := srv.Git(t, "deploy", "log", "-1", "--format=%an <%ae>|%B", after); strings.TrimSpace(got) != "Promoter <promoter@example.com>|Promote v2\n\nto prod" {
		t.Errorf("commit = %q, want the clone's author and the message", got)
	}

	// Again: nothing changed, so Skipped with the same commit.
	res, err = gitcommit.New().Run(t.Context(), newContext(t, work, config))
	if err != nil {
		t.Fatalf("second Run() = %v", err)
	}
	if diff := cmp.Diff(map[string]any{"commit": after}, res.Outputs); diff != "" {
		t.Errorf("second outputs (-want +got):\n%s", diff)
	}
	if got := steps.Classify(res, err).Status; got != steps.StatusSkipped {
		t.Errorf("second status = %s, want Skipped", got)
	}
}

func TestAuthorOverride(t *testing.T) {
	srv := gittest.NewServer(t)
	work := t.TempDir()
	r := cloneInto(t, srv, work)
	if err := os.WriteFile(filepath.Join(work, "out", "new.yaml"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := map[string]any{"path": "out", "message": "m", "author": map[string]any{"name": "Override"}}
	if _, err := gitcommit.New().Run(t.Context(), newContext(t, work, config)); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	head, _ := r.Head()
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(srv.Git(t, "deploy", "log", "-1", "--format=%an <%ae>", head)); got != "Override <promoter@example.com>" {
		t.Errorf("author = %q, want Override <promoter@example.com>", got)
	}
}

func TestErrors(t *testing.T) {
	srv := gittest.NewServer(t)
	work := t.TempDir()
	cloneInto(t, srv, work)
	if err := os.Mkdir(filepath.Join(work, "plain"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		config map[string]any
		is     error
		reason string
	}{
		{"no message", map[string]any{"path": "out"}, steps.ErrInvalidConfig, "InvalidConfig"},
		{"unknown field", map[string]any{"path": "out", "message": "m", "all": true}, steps.ErrInvalidConfig, "InvalidConfig"},
		{"signing", map[string]any{"path": "out", "message": "m", "author": map[string]any{"signingKey": "k"}}, steps.ErrInvalidConfig, "InvalidConfig"},
		{"path escapes", map[string]any{"path": "../out", "message": "m"}, steps.ErrPathEscape, "PathEscapes"},
		{"not a working tree", map[string]any{"path": "plain", "message": "m"}, gitrepo.ErrNotRepository, "NotARepository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gitcommit.New().Run(t.Context(), newContext(t, work, tt.config))
			if !errors.Is(err, tt.is) {
				t.Fatalf("Run() = %v, want %v", err, tt.is)
			}
			if o := steps.Classify(steps.Result{}, err); !o.Terminal || o.Reason != tt.reason {
				t.Errorf("Classify() = %+v, want terminal %s", o, tt.reason)
			}
		})
	}
}
