package gitserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Init creates the bare repository <root>/<name>.git, served at /<name>.git, whose main
// branch (HEAD) holds one commit, "Initial commit", with the given files (slash-separated path
// → content). name may contain slashes ("org/repo") but must stay inside the root. Init fails
// if the repository already exists.
func (s *Server) Init(name string, files map[string]string) error {
	dir, err := s.repoDir(name)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("init repository %q: already exists", name)
	}
	work, err := os.MkdirTemp("", "gitserver-init-*")
	if err != nil {
		return fmt.Errorf("init repository %q: %w", name, err)
	}
	defer func() { _ = os.RemoveAll(work) }()
	for p, content := range files {
		if !filepath.IsLocal(filepath.FromSlash(p)) {
			return fmt.Errorf("init repository %q: file %q: not a relative path", name, p)
		}
		full := filepath.Join(work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("init repository %q: %w", name, err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return fmt.Errorf("init repository %q: %w", name, err)
		}
	}
	steps := [][]string{
		{"init", "--quiet", "--bare", "--initial-branch=main", dir},
		{"-C", work, "init", "--quiet", "--initial-branch=main"},
		{"-C", work, "add", "--all"},
		{"-C", work, "commit", "--quiet", "--allow-empty", "--message=Initial commit"},
		{"-C", work, "push", "--quiet", dir, "main"},
	}
	for _, args := range steps {
		if err := git(context.Background(), args...); err != nil {
			_ = os.RemoveAll(dir)
			return fmt.Errorf("init repository %q: %w", name, err)
		}
	}
	return nil
}

// Tag tags the head of the main branch of repository name with tag (a lightweight tag).
func (s *Server) Tag(name, tag string) error {
	dir, err := s.repoDir(name)
	if err != nil {
		return err
	}
	if err := git(context.Background(), "-C", dir, "tag", tag, "main"); err != nil {
		return fmt.Errorf("tag repository %q: %w", name, err)
	}
	return nil
}

// Dir returns the directory of the bare repository name (<root>/<name>.git), which may not
// exist yet. It fails if name would lead outside the root.
func (s *Server) Dir(name string) (string, error) { return s.repoDir(name) }

func (s *Server) repoDir(name string) (string, error) {
	rel := filepath.FromSlash(strings.TrimSuffix(name, ".git") + ".git")
	if name == "" || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("repository name %q: must be a relative path inside the server root", name)
	}
	return filepath.Join(s.root, rel), nil
}

// git runs the git CLI with args, isolated from the user's and the system's git configuration
// and with the identity Dray <no-reply@dray.dev>. The error carries git's stderr.
func git(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Env = append(os.Environ(), isolatedEnv()...)
	cmd.Env = append(cmd.Env,
		"GIT_AUTHOR_NAME=Dray", "GIT_AUTHOR_EMAIL=no-reply@dray.dev",
		"GIT_COMMITTER_NAME=Dray", "GIT_COMMITTER_EMAIL=no-reply@dray.dev",
		"GIT_TERMINAL_PROMPT=0",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
