package untar

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Limits of Extract.
const (
	// MaxTotalSize bounds the bytes of all regular files of an archive: 100 MiB.
	MaxTotalSize = 100 << 20
	// MaxFileSize bounds the bytes of one regular file: 50 MiB.
	MaxFileSize = 50 << 20
)

// ErrTooLarge is wrapped by the error of an archive over MaxTotalSize or MaxFileSize.
var ErrTooLarge = errors.New("archive too large")

// Options tune Extract.
type Options struct {
	// StripComponents removes this many leading parts from each entry name; entries with no
	// parts left are skipped.
	StripComponents int
	// Ignore skips matching entries (names after StripComponents).
	Ignore files.Ignore
	// MaxTotalSize and MaxFileSize override the limits of the same names when positive.
	MaxTotalSize, MaxFileSize int64
}

// Extract reads a tar archive, gzipped or not, from r into dst and returns how many entries
// it extracted. Directories, regular files and symlinks whose target stays inside dst are
// extracted; hard links and special files are skipped. An entry whose name is absolute or
// climbs out with "..", a symlink whose target is absolute or leads out, and an entry that
// would be written through a symlink fail with an error wrapping steps.ErrPathEscape; a file
// over the limits fails with one wrapping ErrTooLarge. On error dst may hold part of the
// archive: extract into a fresh directory.
func Extract(ctx context.Context, r io.Reader, dst *os.Root, o Options) (int, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, fmt.Errorf("read gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	tr := tar.NewReader(r)
	maxTotal, maxFile := int64(MaxTotalSize), int64(MaxFileSize)
	if o.MaxTotalSize > 0 {
		maxTotal = o.MaxTotalSize
	}
	if o.MaxFileSize > 0 {
		maxFile = o.MaxFileSize
	}
	var total int64
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("read archive: %w", err)
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return n, err
		}
		if name = strip(name, o.StripComponents); name == "" {
			continue
		}
		isDir := hdr.Typeflag == tar.TypeDir
		if o.Ignore.Match(name, isDir) {
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeDir, tar.TypeReg, tar.TypeSymlink:
		default:
			continue // hard links, devices, FIFOs, metadata entries
		}
		if err := noSymlinkOnTheWay(dst, name); err != nil {
			return n, err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = dst.MkdirAll(name, 0o755)
		case tar.TypeReg:
			if hdr.Size > maxFile {
				return n, fmt.Errorf("%w: %s holds %d bytes, more than %d", ErrTooLarge, hdr.Name, hdr.Size, maxFile)
			}
			if total += hdr.Size; total > maxTotal {
				return n, fmt.Errorf("%w: its files hold more than %d bytes", ErrTooLarge, maxTotal)
			}
			err = writeFile(dst, name, tr, hdr)
		case tar.TypeSymlink:
			err = symlink(dst, name, hdr)
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// entryName returns the clean, slash-separated name of an entry, "" for the archive root,
// or an error wrapping steps.ErrPathEscape for a name that is absolute or climbs out.
func entryName(raw string) (string, error) {
	if strings.HasPrefix(raw, "/") || strings.Contains(raw, "\\") || strings.ContainsRune(raw, 0) {
		return "", fmt.Errorf("%w: archive entry %q is absolute or not a plain path", steps.ErrPathEscape, raw)
	}
	clean := path.Clean(raw)
	if clean == "." {
		return "", nil
	}
	if !fs.ValidPath(clean) {
		return "", fmt.Errorf("%w: archive entry %q leads out of outPath", steps.ErrPathEscape, raw)
	}
	return clean, nil
}

// strip removes n leading parts from name; "" when none are left.
func strip(name string, n int) string {
	if name == "" || n == 0 {
		return name
	}
	parts := strings.Split(name, "/")
	if len(parts) <= n {
		return ""
	}
	return strings.Join(parts[n:], "/")
}

// noSymlinkOnTheWay rejects an entry whose parent directories include a symlink: an archive
// must not write through a link it made itself.
func noSymlinkOnTheWay(dst *os.Root, name string) error {
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		fi, err := dst.Lstat(strings.Join(parts[:i], "/"))
		if err != nil {
			return nil // not there yet: created as a directory
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%w: archive entry %q goes through the symlink %s", steps.ErrPathEscape, name, strings.Join(parts[:i], "/"))
		}
	}
	return nil
}

func writeFile(dst *os.Root, name string, r io.Reader, hdr *tar.Header) error {
	if dir := path.Dir(name); dir != "." {
		if err := dst.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// A later entry replaces an earlier one; never write through a symlink left by it.
	if fi, err := dst.Lstat(name); err == nil && !fi.Mode().IsRegular() {
		if err := dst.RemoveAll(name); err != nil {
			return err
		}
	}
	perm := fs.FileMode(hdr.Mode).Perm()&^0o022 | 0o600
	f, err := dst.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, cerr := io.Copy(f, io.LimitReader(r, hdr.Size))
	if err := errors.Join(cerr, f.Close()); err != nil {
		return fmt.Errorf("extract %s: %w", hdr.Name, err)
	}
	return dst.Chmod(name, perm)
}

func symlink(dst *os.Root, name string, hdr *tar.Header) error {
	target := hdr.Linkname
	if target == "" || path.IsAbs(target) || strings.Contains(target, "\\") {
		return fmt.Errorf("%w: archive symlink %q points to %q, an absolute path", steps.ErrPathEscape, hdr.Name, target)
	}
	if !fs.ValidPath(path.Join(path.Dir(name), target)) {
		return fmt.Errorf("%w: archive symlink %q points to %q, out of outPath", steps.ErrPathEscape, hdr.Name, target)
	}
	if dir := path.Dir(name); dir != "." {
		if err := dst.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if _, err := dst.Lstat(name); err == nil {
		if err := dst.RemoveAll(name); err != nil {
			return err
		}
	}
	return dst.Symlink(target, name)
}
