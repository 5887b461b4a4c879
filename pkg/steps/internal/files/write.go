package files

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/drayhq/dray/pkg/steps"
)

// TempName returns a fresh name beside name, in the same directory, for a file or
// directory that will be renamed to name.
func TempName(name string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".dray-"+hex.EncodeToString(b))
}

// WriteFile writes data to name inside root atomically: to a temporary file beside it, then
// renamed over it, so a reader sees the old or the new file, never half of one. Parent
// directories are created. An existing file keeps its mode; a new one gets perm.
func WriteFile(root *os.Root, name string, data []byte, perm fs.FileMode) error {
	if dir := filepath.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if fi, err := root.Lstat(name); err == nil {
		if fi.Mode().IsRegular() {
			perm = fi.Mode().Perm()
		} else if fi.IsDir() {
			return &fs.PathError{Op: "write", Path: name, Err: errors.New("is a directory")}
		}
	}
	tmp := TempName(name)
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	// OpenFile applies the umask; the mode asked for is the mode wanted.
	if err := root.Chmod(tmp, perm); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("replace %s: %w", name, err)
	}
	return nil
}

// Rewrite reads the workspace file p (named by field, e.g. config.path), passes its bytes to
// change, and writes what change returns when it differs, atomically. A path outside the
// workspace is terminal; a missing or unreadable file is an error naming it; change's error
// is returned as "update <p>: <error>", so a reason it carries stays visible to Classify.
func Rewrite(ctx context.Context, sc *steps.Context, step, field, p string, change func([]byte) ([]byte, error)) error {
	name, err := Local(sc, step, field, p)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	in, err := sc.Dir.ReadFile(name)
	if err != nil {
		return Error(sc, step, field, "read", p, err)
	}
	out, err := change(in)
	if err != nil {
		return fmt.Errorf("update %s: %w", p, err)
	}
	if bytes.Equal(in, out) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := WriteFile(sc.Dir, name, out, 0o644); err != nil {
		return Error(sc, step, field, "write", p, err)
	}
	return nil
}
