package gitserver_test

import (
	"bytes"
	"crypto/rand"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/gitserver"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out.String()
}

func TestCloneAndPush(t *testing.T) {
	root := t.TempDir()
	srv, err := gitserver.New(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Init("org/app", map[string]string{"README.md": "hello\n", "dir/a.yaml": "a: 1\n"}); err != nil {
		t.Fatalf("Init() = %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	work := filepath.Join(t.TempDir(), "app")
	git(t, "", "clone", "--quiet", hs.URL+"/org/app.git", work)
	if got := strings.TrimSpace(git(t, work, "rev-parse", "--abbrev-ref", "HEAD")); got != "main" {
		t.Errorf("cloned HEAD = %q, want main", got)
	}
	if got := git(t, work, "log", "--format=%s"); got != "Initial commit\n" {
		t.Errorf("history = %q, want one \"Initial commit\"", got)
	}
	content, err := os.ReadFile(filepath.Join(work, "dir", "a.yaml"))
	if err != nil || string(content) != "a: 1\n" {
		t.Errorf("dir/a.yaml = %q, %v", content, err)
	}

	// A push bigger than http.postBuffer arrives chunked.
	big := make([]byte, 256<<10)
	_, _ = rand.Read(big)
	if err := os.WriteFile(filepath.Join(work, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, work, "add", "--all")
	git(t, work, "commit", "--quiet", "-m", "big")
	git(t, work, "-c", "http.postBuffer=65536", "push", "--quiet", "origin", "main")
	want := git(t, work, "rev-parse", "HEAD")
	if got := git(t, filepath.Join(root, "org", "app.git"), "rev-parse", "main"); got != want {
		t.Errorf("server main = %s, want the pushed %s", got, want)
	}
}

func TestInitErrors(t *testing.T) {
	srv, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Init("app", nil); err != nil {
		t.Fatalf("Init(app) = %v", err)
	}
	tests := []struct {
		name  string
		repo  string
		files map[string]string
	}{
		{"exists", "app", nil},
		{"outside the root", "../escape", nil},
		{"empty name", "", nil},
		{"file outside the repository", "other", map[string]string{"../x": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := srv.Init(tt.repo, tt.files); err == nil {
				t.Errorf("Init(%q) = nil, want an error", tt.repo)
			}
		})
	}
}

func TestUnknownRepository(t *testing.T) {
	srv, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	cmd := exec.CommandContext(t.Context(), "git", "ls-remote", hs.URL+"/nope.git")
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("ls-remote of a missing repository succeeded: %s", out)
	}
}
