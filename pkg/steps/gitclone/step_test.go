package gitclone_test

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
	"github.com/drayhq/dray/pkg/steps/gitclone"
)

func newContext(t *testing.T, workDir string, config map[string]any) *steps.Context {
	t.Helper()
	root, err := os.OpenRoot(workDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = root.Close() })
	return &steps.Context{
		Project: "p", Stage: "prod", Promotion: "prod.01", Alias: "clone", Attempt: 1,
		Config: config, WorkDir: workDir, Dir: root, Log: slog.New(slog.DiscardHandler),
	}
}

func TestInfo(t *testing.T) {
	want := steps.Info{Name: "git-clone", Executor: "git"}
	if diff := cmp.Diff(want, gitclone.New().Info()); diff != "" {
		t.Errorf("Info() (-want +got):\n%s", diff)
	}
}

func TestClone(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "deploy", map[string]string{"base/app.yaml": "image: v1\n"})
	srv.Commit(t, "deploy", "main", "second", map[string]string{"base/app.yaml": "image: v2\n"})
	mainHead := srv.Head(t, "deploy", "main")
	work := t.TempDir()
	config := map[string]any{
		"repoURL": url,
		"author":  map[string]any{"name": "Promoter", "email": "promoter@example.com"},
		"checkout": []any{
			map[string]any{"branch": "main", "path": "src"},
			map[string]any{"branch": "env/prod", "create": true, "path": "out", "as": "prod"},
			map[string]any{"path": "default"},
		},
	}

	for attempt := range 2 { // a redelivered job runs the step again on the same workspace
		res, err := gitclone.New().Run(t.Context(), newContext(t, work, config))
		if err != nil {
			t.Fatalf("attempt %d: Run() = %v", attempt, err)
		}
		prodHead := srv.Head(t, "deploy", "env/prod")
		want := map[string]any{"commits": map[string]any{"src": mainHead, "prod": prodHead, "default": mainHead}}
		if diff := cmp.Diff(want, res.Outputs); diff != "" {
			t.Errorf("attempt %d: outputs (-want +got):\n%s", attempt, diff)
		}
		if got := steps.Classify(res, err).Status; got != steps.StatusSucceeded {
			t.Errorf("attempt %d: status = %s, want Succeeded", attempt, got)
		}
	}

	if got := srv.Git(t, "deploy", "log", "--format=%s|%an", "env/prod"); got != "Initial commit|Promoter\n" {
		t.Errorf("created branch history = %q, want one \"Initial commit\" by Promoter", got)
	}
	content, err := os.ReadFile(filepath.Join(work, "src", "base", "app.yaml"))
	if err != nil || string(content) != "image: v2\n" {
		t.Errorf("src/base/app.yaml = %q, %v; want image: v2", content, err)
	}
	// The author is recorded for git-commit.
	r, err := gitrepo.Open(filepath.Join(work, "out"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Author()
	if want := (gitrepo.Author{Name: "Promoter", Email: "promoter@example.com"}); err != nil || got != want {
		t.Errorf("recorded author = %v, %v; want %v", got, err, want)
	}
}

func TestErrors(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "deploy", map[string]string{"a.txt": "a\n"})
	tests := []struct {
		name     string
		config   map[string]any
		terminal bool
		is       error
		reason   string
	}{
		{
			name:     "no checkout",
			config:   map[string]any{"repoURL": url},
			terminal: true, is: steps.ErrInvalidConfig, reason: "InvalidConfig",
		},
		{
			name:     "branch and tag",
			config:   map[string]any{"repoURL": url, "checkout": []any{map[string]any{"path": "a", "branch": "main", "tag": "v1"}}},
			terminal: true, is: steps.ErrInvalidConfig, reason: "InvalidConfig",
		},
		{
			name:     "unknown field",
			config:   map[string]any{"repoURL": url, "depth": 1, "checkout": []any{map[string]any{"path": "a"}}},
			terminal: true, is: steps.ErrInvalidConfig, reason: "InvalidConfig",
		},
		{
			name: "duplicate key",
			config: map[string]any{"repoURL": url, "checkout": []any{
				map[string]any{"path": "a", "as": "x"}, map[string]any{"path": "b", "as": "x"},
			}},
			terminal: true, is: steps.ErrInvalidConfig, reason: "InvalidConfig",
		},
		{
			name:     "bad sparse",
			config:   map[string]any{"repoURL": url, "checkout": []any{map[string]any{"path": "a", "sparse": []any{"../up"}}}},
			terminal: true, is: steps.ErrInvalidConfig, reason: "InvalidConfig",
		},
		{
			name:     "path escapes",
			config:   map[string]any{"repoURL": url, "checkout": []any{map[string]any{"path": "../outside"}}},
			terminal: true, is: steps.ErrPathEscape, reason: "PathEscapes",
		},
		{
			name:     "absolute path",
			config:   map[string]any{"repoURL": url, "checkout": []any{map[string]any{"path": "/tmp/outside"}}},
			terminal: true, is: steps.ErrPathEscape, reason: "PathEscapes",
		},
		{
			name:   "missing branch",
			config: map[string]any{"repoURL": url, "checkout": []any{map[string]any{"path": "a", "branch": "nope"}}},
			is:     gitrepo.ErrBranchNotFound, reason: "BranchNotFound",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			_, err := gitclone.New().Run(t.Context(), newContext(t, work, tt.config))
			if !errors.Is(err, tt.is) {
				t.Fatalf("Run() = %v, want %v", err, tt.is)
			}
			o := steps.Classify(steps.Result{}, err)
			if o.Terminal != tt.terminal || o.Reason != tt.reason {
				t.Errorf("Classify() = terminal %v reason %q, want %v %q", o.Terminal, o.Reason, tt.terminal, tt.reason)
			}
			if entries, _ := os.ReadDir(work); len(entries) != 0 {
				t.Errorf("workspace not left empty: %v", entries)
			}
		})
	}
}

func TestPathInUse(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "deploy", map[string]string{"a.txt": "a\n"})
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "src", "mine.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := map[string]any{"repoURL": url, "checkout": []any{map[string]any{"path": "src"}}}
	_, err := gitclone.New().Run(t.Context(), newContext(t, work, config))
	if o := steps.Classify(steps.Result{}, err); !o.Terminal || o.Reason != "PathInUse" {
		t.Errorf("Run() = %v (%+v), want terminal PathInUse", err, o)
	}
	if content, _ := os.ReadFile(filepath.Join(work, "src", "mine.txt")); string(content) != "keep" {
		t.Errorf("existing file changed to %q", content)
	}
}

// TestCloneWithCache: later promotions clone an unchanged branch from the cache, without
// fetching, and get the same outputs and files; a redelivered job still reuses its workspace.
func TestCloneWithCache(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "deploy", map[string]string{"base/app.yaml": "image: v1\n"})
	cache, err := gitrepo.NewCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	step := gitclone.New(gitclone.WithCache(cache))
	config := map[string]any{
		"repoURL": url,
		"checkout": []any{
			map[string]any{"branch": "main", "path": "src"},
			map[string]any{"branch": "env/prod", "create": true, "path": "out", "as": "prod"},
		},
	}
	for promotion := range 3 {
		work := t.TempDir()
		for attempt := range 2 {
			res, err := step.Run(t.Context(), newContext(t, work, config))
			if err != nil {
				t.Fatalf("promotion %d, attempt %d: Run() = %v", promotion, attempt, err)
			}
			want := map[string]any{"commits": map[string]any{
				"src": srv.Head(t, "deploy", "main"), "prod": srv.Head(t, "deploy", "env/prod"),
			}}
			if diff := cmp.Diff(want, res.Outputs); diff != "" {
				t.Errorf("promotion %d, attempt %d: outputs (-want +got):\n%s", promotion, attempt, diff)
			}
		}
		content, err := os.ReadFile(filepath.Join(work, "src", "base", "app.yaml"))
		if err != nil || string(content) != "image: v1\n" {
			t.Errorf("promotion %d: src/base/app.yaml = %q, %v; want image: v1", promotion, content, err)
		}
	}
	// main once; env/prod once, after the first promotion created it.
	if got := srv.Fetches("deploy"); got != 2 {
		t.Errorf("fetches = %d, want 2", got)
	}
}

// TestTransports: a repository URL that reads the host's filesystem — file:// or a plain
// path to another directory on the host — fails the step, naming the field and the option
// that allows it, and reads nothing; with the transport allowed the same clone works.
func TestTransports(t *testing.T) {
	srv := gittest.NewServer(t)
	srv.Repo(t, "other-project", map[string]string{"secret.txt": "another project's data\n"})
	hostDir := srv.Dir(t, "other-project")
	for _, tt := range []struct{ name, url string }{
		{"file URL", "file://" + hostDir},
		{"local path", hostDir},
	} {
		t.Run(tt.name, func(t *testing.T) {
			config := map[string]any{"repoURL": tt.url, "checkout": []any{map[string]any{"path": "src", "branch": "main"}}}
			work := t.TempDir()
			_, err := gitclone.New().Run(t.Context(), newContext(t, work, config))
			if !errors.Is(err, gitrepo.ErrTransportNotAllowed) {
				t.Fatalf("Run() = %v, want %v", err, gitrepo.ErrTransportNotAllowed)
			}
			o := steps.Classify(steps.Result{}, err)
			if !o.Terminal || o.Reason != gitclone.ReasonTransportNotAllowed {
				t.Errorf("Classify() = terminal %v reason %q, want terminal %q", o.Terminal, o.Reason, gitclone.ReasonTransportNotAllowed)
			}
			for _, part := range []string{`step "clone" (git-clone)`, "config.repoURL", "--allow-git-transport file"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
			if strings.Contains(err.Error(), hostDir) {
				t.Errorf("error %q names the host path", err)
			}
			if entries, _ := os.ReadDir(work); len(entries) != 0 {
				t.Errorf("workspace not left empty: %v", entries)
			}

			step := gitclone.New(gitclone.WithTransports(gitrepo.Transports{gitrepo.TransportFile}))
			if _, err := step.Run(t.Context(), newContext(t, work, config)); err != nil {
				t.Fatalf("Run() with file allowed = %v", err)
			}
			if got, err := os.ReadFile(filepath.Join(work, "src", "secret.txt")); err != nil || string(got) != "another project's data\n" {
				t.Errorf("secret.txt = %q, %v; want the clone to work once allowed", got, err)
			}
		})
	}
}
