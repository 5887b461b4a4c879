package deletestep

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "delete"

// Step is the delete step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the delete step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run removes the configured paths. A bad config, a bad glob, a path outside the workspace
// and the workspace itself are terminal (Failed); with strict, a missing path or a glob that
// matches nothing is Errored, as are I/O errors. Every path is checked before anything is
// removed.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	fields, values := cfg.targets()
	var remove []string
	for i, v := range values {
		var found []string
		if cfg.PathsAreGlobs {
			found, err = glob(sc, fields[i], v)
		} else {
			found, err = one(sc, fields[i], v)
		}
		if err != nil {
			return steps.Result{}, err
		}
		if len(found) == 0 && cfg.Strict {
			return steps.Result{}, fmt.Errorf("%s: %s: %w: nothing to delete and strict is set", fields[i], v, fs.ErrNotExist)
		}
		remove = append(remove, found...)
	}
	for _, name := range remove {
		if err := ctx.Err(); err != nil {
			return steps.Result{}, err
		}
		if err := sc.Dir.RemoveAll(name); err != nil {
			return steps.Result{}, files.Error(sc, Name, "config", "delete", filepath.ToSlash(name), err)
		}
	}
	return steps.Result{Message: fmt.Sprintf("deleted %d path(s)", len(remove))}, nil
}

// one returns the path p if it exists (a symlink counts, and is removed itself).
func one(sc *steps.Context, field, p string) ([]string, error) {
	name, err := files.Local(sc, Name, field, p)
	if err != nil {
		return nil, err
	}
	if name == "." {
		return nil, files.Invalid(sc, Name, fmt.Errorf("%s: %q is the workspace itself", field, p))
	}
	if _, err := sc.Dir.Lstat(name); err != nil {
		if errors.Is(err, fs.ErrNotExist) && !files.IsEscape(err) {
			return nil, nil
		}
		return nil, files.Error(sc, Name, field, "delete", p, err)
	}
	return []string{name}, nil
}

// glob returns what pattern p matches in the workspace.
func glob(sc *steps.Context, field, p string) ([]string, error) {
	pattern := strings.TrimPrefix(filepath.ToSlash(strings.TrimSpace(p)), "./")
	if !doublestar.ValidatePattern(pattern) {
		return nil, files.Invalid(sc, Name, fmt.Errorf("%s: %q is not a valid glob", field, p))
	}
	if path.IsAbs(pattern) || !fs.ValidPath(pattern) || pattern == "." {
		return nil, files.Escape(sc, Name, field, p)
	}
	matches, err := doublestar.Glob(sc.Dir.FS(), pattern, doublestar.WithNoFollow(), doublestar.WithFailOnIOErrors())
	if err != nil {
		return nil, files.Error(sc, Name, field, "glob", p, err)
	}
	out := make([]string, 0, len(matches))
	for _, m := range matches {
		if m != "." { // never the workspace itself
			out = append(out, filepath.FromSlash(m))
		}
	}
	return out, nil
}
