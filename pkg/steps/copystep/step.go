package copystep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "copy"

// Step is the copy step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the copy step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run copies config.inPath to config.outPath. A bad config, a path outside the workspace
// (also through a symlink), copying a directory into itself and copying between a file and a
// directory are terminal (Failed); a missing inPath and I/O errors are Errored.
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
	fi, err := sc.Dir.Stat(in)
	if err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.inPath", "copy", cfg.InPath, err)
	}
	c := &copier{ctx: ctx, sc: sc, ignore: files.NewIgnore(cfg.Ignore)}
	if !fi.IsDir() {
		if ofi, err := sc.Dir.Stat(out); err == nil && ofi.IsDir() {
			return steps.Result{}, files.Invalid(sc, Name, fmt.Errorf("config.outPath: %s is a directory and %s a file; name the destination file", cfg.OutPath, cfg.InPath))
		}
		err = c.file(in, out, fi.Mode().Perm())
	} else {
		if out == in || in == "." || strings.HasPrefix(out, in+string(filepath.Separator)) {
			return steps.Result{}, files.Invalid(sc, Name, fmt.Errorf("config.outPath: %s is inside %s; a directory cannot be copied into itself", cfg.OutPath, cfg.InPath))
		}
		if ofi, err := sc.Dir.Stat(out); err == nil && !ofi.IsDir() {
			return steps.Result{}, files.Invalid(sc, Name, fmt.Errorf("config.outPath: %s is a file and %s a directory", cfg.OutPath, cfg.InPath))
		}
		err = c.dir(in, out)
	}
	if err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.outPath", "copy", cfg.InPath+" to "+cfg.OutPath, err)
	}
	return steps.Result{Message: fmt.Sprintf("copied %d file(s) from %s to %s", c.copied, cfg.InPath, cfg.OutPath)}, nil
}

type copier struct {
	ctx    context.Context
	sc     *steps.Context
	ignore files.Ignore
	copied int
}

// dir merges the tree at in into out: files are created or overwritten, nothing in out is
// removed. Symlinks, .git and ignored paths are skipped.
func (c *copier) dir(in, out string) error {
	return fs.WalkDir(c.sc.Dir.FS(), filepath.ToSlash(in), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := c.ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(in, filepath.FromSlash(p))
		if rel != "." && (d.Name() == ".git" || c.ignore.Match(rel, d.IsDir())) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		target := filepath.Join(out, rel)
		switch {
		case d.IsDir():
			return c.sc.Dir.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			return c.file(filepath.FromSlash(p), target, fi.Mode().Perm())
		}
		return nil // symlinks and special files are not copied
	})
}

// file copies one regular file, creating out's parent directories, keeping its mode.
func (c *copier) file(in, out string, perm fs.FileMode) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	if dir := filepath.Dir(out); dir != "." {
		if err := c.sc.Dir.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	src, err := c.sc.Dir.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	if fi, err := c.sc.Dir.Lstat(out); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// Replace the link itself rather than write through it.
		if err := c.sc.Dir.Remove(out); err != nil {
			return err
		}
	}
	dst, err := c.sc.Dir.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, cerr := io.Copy(dst, src)
	if err := errors.Join(cerr, dst.Close()); err != nil {
		return err
	}
	c.copied++
	return c.sc.Dir.Chmod(out, perm)
}
