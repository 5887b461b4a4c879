package gitserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Server is an http.Handler that serves every bare repository under its root directory:
// <root>/<name>.git is at http://<host>/<name>.git. Fetch and push are both enabled. It is safe
// for concurrent use.
type Server struct {
	root    string
	backend *cgi.Handler
}

var _ http.Handler = (*Server)(nil)

// New returns a Server for the repositories under root, which is created if missing. It
// needs the git CLI: git-http-backend is looked up in `git --exec-path`, then in
// /usr/lib/git-core.
func New(root string) (*Server, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("git server root: %w", err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create git server root: %w", err)
	}
	backend, err := findBackend()
	if err != nil {
		return nil, err
	}
	env := append(isolatedEnv(),
		"GIT_PROJECT_ROOT="+root,
		"GIT_HTTP_EXPORT_ALL=1",
		// Server-side settings for every repository under root: accept pushes, and let
		// clients ask for any reachable commit and for partial clones.
		"GIT_CONFIG_COUNT=3",
		"GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true",
		"GIT_CONFIG_KEY_1=uploadpack.allowReachableSHA1InWant", "GIT_CONFIG_VALUE_1=true",
		"GIT_CONFIG_KEY_2=uploadpack.allowFilter", "GIT_CONFIG_VALUE_2=true",
	)
	return &Server{
		root: root,
		backend: &cgi.Handler{
			Path:   backend,
			Root:   "/",
			Env:    env,
			Stderr: io.Discard,
		},
	}, nil
}

// Root returns the directory holding the bare repositories.
func (s *Server) Root() string { return s.root }

// ServeHTTP answers one smart-HTTP request (info/refs, git-upload-pack, git-receive-pack).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// CGI needs a Content-Length; git sends large pushes chunked.
	if len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked" {
		body, size, err := spool(r.Body)
		if err != nil {
			http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		defer func() {
			_ = body.Close()
			_ = os.Remove(body.Name())
		}()
		r = r.Clone(r.Context())
		r.Body, r.ContentLength, r.TransferEncoding = body, size, nil
	}
	s.backend.ServeHTTP(w, r)
}

func spool(body io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "gitserver-body-*")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(f, body)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, 0, err
	}
	return f, n, nil
}

func findBackend() (string, error) {
	var candidates []string
	if out, err := exec.Command("git", "--exec-path").Output(); err == nil {
		candidates = append(candidates, filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"))
	}
	candidates = append(candidates, "/usr/lib/git-core/git-http-backend", "/usr/libexec/git-core/git-http-backend")
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c, nil
		}
	}
	return "", errors.New("find git-http-backend: is the git CLI installed?")
}

// isolatedEnv keeps the user's and the system's git configuration out of the server.
func isolatedEnv() []string {
	return []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull, "HOME=" + os.TempDir()}
}
