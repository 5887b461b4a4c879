package untar

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "untar"

// Step is the untar step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the untar step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run extracts config.inPath into config.outPath, replacing it. A bad config, a path outside
// the workspace, an archive entry that would escape outPath and an archive over the limits
// are terminal (Failed); a missing or corrupt archive and I/O errors are Errored. outPath is
// replaced only when the whole archive was extracted: on any error it is left as it was.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	in, err := files.Local(sc, Name, "config.inPath", cfg.InPath)
	if err != nil {
		return steps.Result{}, err
	}
	out, err := files.Local(sc, Name, "config.outPath", cfg.OutPath)
	if err != nil {
		return steps.Result{}, err
	}
	if out == "." {
		return steps.Result{}, files.Invalid(sc, Name, fmt.Errorf("config.outPath: %q is the workspace itself", cfg.OutPath))
	}
	f, err := sc.Dir.Open(in)
	if err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.inPath", "open", cfg.InPath, err)
	}
	defer f.Close()

	if dir := filepath.Dir(out); dir != "." {
		if err := sc.Dir.MkdirAll(dir, 0o755); err != nil {
			return steps.Result{}, files.Error(sc, Name, "config.outPath", "create", cfg.OutPath, err)
		}
	}
	tmp := files.TempName(out)
	if err := sc.Dir.Mkdir(tmp, 0o755); err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.outPath", "create", cfg.OutPath, err)
	}
	defer sc.Dir.RemoveAll(tmp) // a no-op once renamed
	root, err := sc.Dir.OpenRoot(tmp)
	if err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.outPath", "create", cfg.OutPath, err)
	}
	n, err := Extract(ctx, f, root, Options{StripComponents: cfg.StripComponents, Ignore: files.NewIgnore(cfg.Ignore)})
	root.Close()
	switch {
	case errors.Is(err, steps.ErrPathEscape) || errors.Is(err, ErrTooLarge):
		return steps.Result{}, steps.Terminal(fmt.Errorf("step %q (%s): extract %s: %w; nothing was written", sc.Alias, Name, cfg.InPath, err))
	case err != nil:
		return steps.Result{}, fmt.Errorf("extract %s: %w", cfg.InPath, err)
	}
	if err := replace(sc, tmp, out); err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.outPath", "replace", cfg.OutPath, err)
	}
	return steps.Result{Message: fmt.Sprintf("extracted %d entries of %s into %s", n, cfg.InPath, cfg.OutPath)}, nil
}

// replace moves the extracted tree tmp to out, removing what out held.
func replace(sc *steps.Context, tmp, out string) error {
	old := ""
	if _, err := sc.Dir.Lstat(out); err == nil {
		old = files.TempName(out)
		if err := sc.Dir.Rename(out, old); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := sc.Dir.Rename(tmp, out); err != nil {
		if old != "" {
			_ = sc.Dir.Rename(old, out)
		}
		return err
	}
	if old != "" {
		return sc.Dir.RemoveAll(old)
	}
	return nil
}
