package tarstep

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "tar"

// Step is the tar step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the tar step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run archives config.inPath into config.outPath. A bad config or a path outside the
// workspace is terminal (Failed); a missing inPath and I/O errors are Errored, and outPath is
// then left as it was.
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
	var buf bytes.Buffer
	n, err := Write(ctx, &buf, sc.Dir.FS(), filepath.ToSlash(in), Options{
		Ignore: files.NewIgnore(cfg.Ignore), Gzip: cfg.Gzip, Skip: filepath.ToSlash(out),
	})
	if err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.inPath", "archive", cfg.InPath, err)
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	if err := files.WriteFile(sc.Dir, out, buf.Bytes(), 0o644); err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.outPath", "write", cfg.OutPath, err)
	}
	return steps.Result{Message: fmt.Sprintf("archived %d entries of %s into %s", n, cfg.InPath, cfg.OutPath)}, nil
}

// Options tune Write.
type Options struct {
	// Ignore leaves out matching paths (relative to the archived directory).
	Ignore files.Ignore
	// Gzip compresses the archive.
	Gzip bool
	// Skip is a slash-separated path of fsys never archived: the archive being written.
	Skip string
}

// Write archives root, a directory or a file of fsys, into w and returns how many entries it
// wrote. Entries of a directory are named relative to it; a file is archived under its base
// name. Directories, regular files (with their mode and modification time) and symlinks that
// stay inside root are archived; other symlinks and special files are left out.
func Write(ctx context.Context, w io.Writer, fsys fs.FS, root string, o Options) (int, error) {
	var zw *gzip.Writer
	if o.Gzip {
		zw = gzip.NewWriter(w)
		w = zw
	}
	tw := tar.NewWriter(w)
	n := 0
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == o.Skip {
			return nil
		}
		name := path.Base(p)
		if rel, ok := strings.CutPrefix(p, root+"/"); ok {
			name = rel
		} else if root == "." && p != "." {
			name = p
		} else if d.IsDir() {
			return nil // the root directory itself has no entry
		}
		if o.Ignore.Match(name, d.IsDir()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = fs.ReadLink(fsys, p); err != nil {
				return err
			}
			if !inside(name, link) {
				return nil
			}
		} else if !fi.Mode().IsRegular() && !fi.IsDir() {
			return nil
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = name
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		n++
		if fi.Mode().IsRegular() {
			f, err := fsys.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if err := tw.Close(); err != nil {
		return n, err
	}
	if zw != nil {
		return n, zw.Close()
	}
	return n, nil
}

// inside reports whether a symlink named name (relative to the archive root) with target
// link resolves inside the archive.
func inside(name, link string) bool {
	if path.IsAbs(link) {
		return false
	}
	return fs.ValidPath(path.Join(path.Dir(name), link))
}
