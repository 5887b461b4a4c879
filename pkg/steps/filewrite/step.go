package filewrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "file-write"

// ErrExists is wrapped by the error of a file that exists when overwrite is not set.
var ErrExists = errors.New("file already exists and overwrite is false")

// Step is the file-write step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the file-write step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run writes config.contents to config.path. A bad config or permissions, a path outside the
// workspace, into .git, or through a symlink are terminal (Failed). An existing file without
// overwrite is Errored, unless it already holds exactly these contents and mode (the same
// job run again).
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	mode, err := cfg.Mode()
	if err != nil {
		return steps.Result{}, files.Invalid(sc, Name, err)
	}
	name, err := files.Local(sc, Name, "config.path", cfg.Path)
	if err != nil {
		return steps.Result{}, err
	}
	if name == "." {
		return steps.Result{}, files.Invalid(sc, Name, fmt.Errorf("config.path: %q is the workspace itself", cfg.Path))
	}
	if err := s.check(sc, name, cfg.Path); err != nil {
		return steps.Result{}, err
	}
	if fi, err := sc.Dir.Lstat(name); err == nil {
		if fi.IsDir() {
			return steps.Result{}, files.Invalid(sc, Name, fmt.Errorf("config.path: %s is a directory", cfg.Path))
		}
		if !cfg.Overwrite {
			if old, err := sc.Dir.ReadFile(name); err == nil && bytes.Equal(old, []byte(cfg.Contents)) && fi.Mode().Perm() == mode {
				return steps.Result{Message: fmt.Sprintf("%s already holds these contents", cfg.Path)}, nil
			}
			return steps.Result{}, fmt.Errorf("write %s: %w", cfg.Path, ErrExists)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return steps.Result{}, files.Error(sc, Name, "config.path", "write", cfg.Path, err)
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	if err := files.WriteFile(sc.Dir, name, []byte(cfg.Contents), mode); err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.path", "write", cfg.Path, err)
	}
	// WriteFile keeps an existing file's mode; the configured one wins.
	if err := sc.Dir.Chmod(name, mode); err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.path", "chmod", cfg.Path, err)
	}
	return steps.Result{Message: fmt.Sprintf("wrote %d byte(s) to %s", len(cfg.Contents), cfg.Path)}, nil
}

// check rejects a path that has .git as a part, or that goes through a symlink: the file or
// any existing directory on the way.
func (*Step) check(sc *steps.Context, name, path string) error {
	parts := strings.Split(name, string(filepath.Separator))
	for i, p := range parts {
		if p == ".git" {
			return files.Invalid(sc, Name, fmt.Errorf("config.path: %q writes into .git", path))
		}
		fi, err := sc.Dir.Lstat(filepath.Join(parts[:i+1]...))
		if errors.Is(err, fs.ErrNotExist) && !files.IsEscape(err) {
			continue // the rest is created
		}
		if err != nil {
			return files.Error(sc, Name, "config.path", "write", path, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return steps.Terminal(fmt.Errorf("step %q (%s): config.path: %q goes through the symlink %s; file-write does not follow symlinks",
				sc.Alias, Name, path, filepath.ToSlash(filepath.Join(parts[:i+1]...))))
		}
	}
	return nil
}
