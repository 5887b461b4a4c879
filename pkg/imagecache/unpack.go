package imagecache

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	ggcrv1 "github.com/google/go-containerregistry/pkg/v1"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrPathEscape means a layer entry names a path outside the root filesystem.
	ErrPathEscape = errors.New("layer entry escapes the root filesystem")
	// ErrTooLarge means an image unpacks to more than the cache's size limit.
	ErrTooLarge = errors.New("image too large")
	// ErrPlatform means the image is built for another OS or architecture.
	ErrPlatform = errors.New("image platform mismatch")
)

const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// unpacker applies layers in order to one root filesystem.
type unpacker struct {
	// budget is what the image may still unpack, in bytes.
	budget int64
	// written holds the paths the current layer created, which an opaque whiteout in the
	// same layer must keep.
	written map[string]bool
}

// layer applies one layer: its whiteouts remove what lower layers made, and its entries are
// created through an os.Root on rootfs. The layer is read to its end, so go-containerregistry
// checks its digest; a mismatch is an error.
func (u *unpacker) layer(ctx context.Context, rootfs string, l ggcrv1.Layer) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	root, err := os.OpenRoot(rootfs)
	if err != nil {
		return err
	}
	defer root.Close()
	u.written = map[string]bool{}
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read layer: %w", err)
		}
		if err := u.entry(root, hdr, tr); err != nil {
			return err
		}
	}
	// Drain what follows the tar's end, so the verifying reader sees EOF and checks the digest.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return fmt.Errorf("read layer: %w", err)
	}
	return rc.Close()
}

// entry applies one tar entry.
func (u *unpacker) entry(root *os.Root, hdr *tar.Header, r io.Reader) error {
	name, err := localName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "." {
		return nil
	}
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	switch {
	case base == opaqueWhiteout:
		return u.opaque(root, dir)
	case strings.HasPrefix(base, whiteoutPrefix):
		target := path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix))
		if err := root.RemoveAll(target); err != nil {
			return fmt.Errorf("whiteout %s: %w", target, err)
		}
		return nil
	}
	if dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	mode := fs.FileMode(hdr.Mode) & (fs.ModePerm | fs.ModeSticky) // no setuid, no setgid
	switch hdr.Typeflag {
	case tar.TypeDir:
		if fi, err := root.Lstat(name); err == nil && !fi.IsDir() {
			if err := root.Remove(name); err != nil {
				return fmt.Errorf("replace %s: %w", name, err)
			}
		}
		if err := root.MkdirAll(name, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		if err := root.Chmod(name, mode|0o700); err != nil {
			return fmt.Errorf("chmod %s: %w", name, err)
		}
	case tar.TypeReg:
		if u.budget -= hdr.Size; u.budget < 0 {
			return ErrTooLarge
		}
		if err := replace(root, name); err != nil {
			return err
		}
		f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
		if err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := root.Chmod(name, mode); err != nil { // the umask may have narrowed it
			return fmt.Errorf("chmod %s: %w", name, err)
		}
	case tar.TypeSymlink:
		// The target is only text here; it is resolved inside the container's root.
		if err := replace(root, name); err != nil {
			return err
		}
		if err := root.Symlink(hdr.Linkname, name); err != nil {
			return fmt.Errorf("symlink %s: %w", name, err)
		}
	case tar.TypeLink:
		target, err := localName(hdr.Linkname)
		if err != nil {
			return err
		}
		if err := replace(root, name); err != nil {
			return err
		}
		if err := root.Link(target, name); err != nil {
			return fmt.Errorf("hard link %s: %w", name, err)
		}
	default:
		return nil // device nodes, FIFOs: never created
	}
	u.written[name] = true
	return nil
}

// opaque empties dir of everything lower layers put there (an OCI opaque whiteout).
func (u *unpacker) opaque(root *os.Root, dir string) error {
	f, err := root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opaque whiteout %s: %w", dir, err)
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("opaque whiteout %s: %w", dir, err)
	}
	for _, e := range entries {
		child := path.Join(dir, e.Name())
		if u.written[child] {
			continue
		}
		if err := root.RemoveAll(child); err != nil {
			return fmt.Errorf("opaque whiteout %s: %w", child, err)
		}
	}
	return nil
}

// replace removes whatever a lower layer left at name, so a new entry never writes through
// an old symlink; a file that replaces a directory replaces it whole.
func replace(root *os.Root, name string) error {
	if _, err := root.Lstat(name); err != nil {
		return nil
	}
	if err := root.RemoveAll(name); err != nil {
		return fmt.Errorf("replace %s: %w", name, err)
	}
	return nil
}

// localName cleans a tar name into a slash path inside the root, or fails with ErrPathEscape.
func localName(n string) (string, error) {
	clean := path.Clean(strings.TrimPrefix(n, "/"))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%w: %q", ErrPathEscape, n)
	}
	return clean, nil
}
