package gittest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drayhq/dray/pkg/gitserver"
)

// Server is a Git smart-HTTP server on loopback, serving repositories from a temporary
// directory. It is closed when the test ends.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:34567.
	URL string
	git *gitserver.Server

	mu           sync.Mutex
	onPush       func(repo string)
	fetches      map[string]int
	listings     map[string]int
	pushListings map[string]int
	user         string
	pass         string
}

// RequireBasicAuth makes every request need HTTP basic auth with user and password, as a
// hosted Git service does; others get 401.
func (s *Server) RequireBasicAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, password
}

// NewServer starts a Server for the duration of the test.
func NewServer(t testing.TB) *Server {
	t.Helper()
	gs, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatalf("gitserver.New: %v", err)
	}
	s := &Server{git: gs, fetches: map[string]int{}, listings: map[string]int{}, pushListings: map[string]int{}}
	hs := httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	wantUser, wantPass := s.user, s.pass
	s.mu.Unlock()
	if wantUser != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != wantUser || p != wantPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
	}
	if repo, ok := strings.CutSuffix(r.URL.Path, ".git/info/refs"); ok && r.URL.Query().Get("service") == "git-upload-pack" {
		s.mu.Lock()
		s.listings[strings.TrimPrefix(repo, "/")]++
		s.mu.Unlock()
	}
	if repo, ok := strings.CutSuffix(r.URL.Path, ".git/info/refs"); ok && r.URL.Query().Get("service") == "git-receive-pack" {
		s.mu.Lock()
		s.pushListings[strings.TrimPrefix(repo, "/")]++
		s.mu.Unlock()
	}
	if repo, ok := strings.CutSuffix(r.URL.Path, ".git/git-upload-pack"); ok && r.Method == http.MethodPost {
		s.mu.Lock()
		s.fetches[strings.TrimPrefix(repo, "/")]++
		s.mu.Unlock()
	}
	if repo, ok := strings.CutSuffix(r.URL.Path, ".git/git-receive-pack"); ok && r.Method == http.MethodPost {
		s.mu.Lock()
		hook := s.onPush
		s.mu.Unlock()
		if hook != nil {
			hook(strings.TrimPrefix(repo, "/"))
		}
	}
	s.git.ServeHTTP(w, r)
}

// OnPush makes the server call hook(repo) when a push to repo arrives, before the push is
// applied, e.g. to let someone else push first and so provoke a race. nil removes the hook.
// The hook runs on a server goroutine, so a failing helper inside it (Commit calls t.Fatal)
// cannot stop the test cleanly; keep hooks simple.
func (s *Server) OnPush(hook func(repo string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onPush = hook
}

// Listings returns how many times repository name listed its references for a fetch (GET
// info/refs?service=git-upload-pack): one per ls-remote, clone or fetch of go-git.
func (s *Server) Listings(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listings[name]
}

// PushListings returns how many times repository name listed its references for a push
// (GET info/refs?service=git-receive-pack): one per push attempt, whether or not the client
// then sent anything.
func (s *Server) PushListings(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushListings[name]
}

// Fetches returns how many git-upload-pack requests repository name has answered: one per
// clone or fetch that wanted objects from a protocol v0 client such as go-git, whose
// reference listings (GET info/refs) do not count. The git CLI's protocol v2 also lists
// references with such a request.
func (s *Server) Fetches(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches[strings.TrimSuffix(name, ".git")]
}

// Repo creates the repository name whose main branch holds one commit with files (path →
// content) and returns its clone URL, e.g. http://127.0.0.1:34567/name.git.
func (s *Server) Repo(t testing.TB, name string, files map[string]string) string {
	t.Helper()
	if err := s.git.Init(name, files); err != nil {
		t.Fatalf("create repository: %v", err)
	}
	return s.URL + "/" + strings.TrimSuffix(name, ".git") + ".git"
}

// Dir returns the directory of the bare repository name on the server.
func (s *Server) Dir(t testing.TB, name string) string {
	t.Helper()
	dir, err := s.git.Dir(name)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// ReadFile returns the content of path at the tip of branch in repository name.
func (s *Server) ReadFile(t testing.TB, name, branch, path string) string {
	t.Helper()
	return s.gitBare(t, name, "show", "refs/heads/"+branch+":"+path)
}

// Log returns the SHAs of the commits reachable from branch in repository name, newest first.
func (s *Server) Log(t testing.TB, name, branch string) []string {
	t.Helper()
	return strings.Fields(s.gitBare(t, name, "rev-list", "refs/heads/"+branch))
}

// Head returns the SHA at the tip of branch in repository name, or "" when there is no such
// branch.
func (s *Server) Head(t testing.TB, name, branch string) string {
	t.Helper()
	out, err := run(t.Context(), s.Dir(t, name), "for-each-ref", "--format=%(objectname)", "refs/heads/"+branch)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// Files lists the paths of the files at the tip of branch in repository name, sorted.
func (s *Server) Files(t testing.TB, name, branch string) []string {
	t.Helper()
	return strings.Fields(s.gitBare(t, name, "ls-tree", "-r", "--name-only", "refs/heads/"+branch))
}

// Git runs the git CLI with args in the bare repository name and returns its output, for
// assertions the other methods do not cover, e.g. Git(t, "repo", "log", "-1", "--format=%an").
func (s *Server) Git(t testing.TB, name string, args ...string) string {
	t.Helper()
	return s.gitBare(t, name, args...)
}

// Commit adds a commit on top of branch in repository name, as another user of the repository
// would: files are written (path → content; an empty content deletes the file) and committed
// with message. It returns the new commit's SHA.
func (s *Server) Commit(t testing.TB, name, branch, message string, files map[string]string) string {
	t.Helper()
	work := t.TempDir()
	ctx := t.Context()
	mustRun(t, ctx, "", "clone", "--quiet", "--branch", branch, s.Dir(t, name), work)
	for p, content := range files {
		full := filepath.Join(work, filepath.FromSlash(p))
		if content == "" {
			mustRun(t, ctx, work, "rm", "--quiet", "--", p)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, ctx, work, "add", "--all")
	mustRun(t, ctx, work, "commit", "--quiet", "--allow-empty", "--message", message)
	mustRun(t, ctx, work, "push", "--quiet", "origin", branch)
	return strings.TrimSpace(mustRun(t, ctx, work, "rev-parse", "HEAD"))
}

// RunGit runs the git CLI with args in dir, e.g. a working tree a test made, isolated from the
// user's git configuration, and returns its output. It fails the test if git fails.
func RunGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return mustRun(t, t.Context(), dir, args...)
}

func (s *Server) gitBare(t testing.TB, name string, args ...string) string {
	t.Helper()
	return mustRun(t, t.Context(), s.Dir(t, name), args...)
}

func mustRun(t testing.TB, ctx context.Context, dir string, args ...string) string {
	t.Helper()
	out, err := run(ctx, dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func run(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Someone Else", "GIT_AUTHOR_EMAIL=else@example.com",
		"GIT_COMMITTER_NAME=Someone Else", "GIT_COMMITTER_EMAIL=else@example.com",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", &gitError{args: args, err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.String(), nil
}

type gitError struct {
	args   []string
	err    error
	stderr string
}

func (e *gitError) Error() string {
	return "git " + strings.Join(e.args, " ") + ": " + e.err.Error() + ": " + e.stderr
}
