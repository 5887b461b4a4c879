package workspace

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// gzipWriters keeps compressors between packs: each holds about a megabyte of state.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// pack writes dir as a gzipped tar: regular files, directories and symlinks, in lexical order,
// with modes and modification times kept. It returns dir's fingerprint, summed on the way.
func pack(dir string, w io.Writer) (string, error) {
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(w)
	tw := tar.NewWriter(zw)
	fp := newFingerprinter()
	buf := make([]byte, 32<<10) // one copy buffer for every file, not one each
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		fp.add(strings.TrimPrefix(path, dir), info, link)
		if path == dir || (link == "" && !info.Mode().IsRegular() && !info.IsDir()) {
			return nil // sockets, devices: not part of a workspace
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		hdr.Format = tar.FormatPAX
		hdr.Uname, hdr.Gname, hdr.Uid, hdr.Gid = "", "", 0, 0
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			// Hiding *os.File's WriterTo makes io.CopyBuffer use buf.
			_, err = io.CopyBuffer(tw, struct{ io.Reader }{f}, buf)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return fp.sum(), zw.Close()
}

// unpack extracts a gzipped tar made by pack into dir. Every entry is created through an
// os.Root, so names that climb out of dir, absolute names and writes through symlinks that
// lead outside are rejected.
func unpack(r io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	zr, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	type dirTime struct {
		name string
		hdr  *tar.Header
	}
	var dirs []dirTime
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(hdr.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("archive entry %q escapes the workspace", hdr.Name)
		}
		mode := hdr.FileInfo().Mode()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o700); err != nil {
				return err
			}
			if err := root.Chmod(name, mode.Perm()|0o700); err != nil { // not reduced by the umask
				return err
			}
			dirs = append(dirs, dirTime{name, hdr})
			continue
		case tar.TypeSymlink:
			if err := root.Symlink(hdr.Linkname, name); err != nil {
				return err
			}
			continue
		case tar.TypeReg:
			f, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode.Perm())
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = root.Chmod(name, mode.Perm()) // not reduced by the umask
			}
			if err != nil {
				return err
			}
		default:
			continue
		}
		if err := root.Chtimes(name, hdr.ModTime, hdr.ModTime); err != nil {
			return err
		}
	}
	// Directory times last: writing into a directory changes its mtime.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := root.Chtimes(dirs[i].name, dirs[i].hdr.ModTime, dirs[i].hdr.ModTime); err != nil {
			return err
		}
	}
	return nil
}

// fingerprint summarises dir by every entry's path, type, mode, size and modification time —
// what git itself checks to notice a change — without reading file contents.
func fingerprint(dir string) (string, error) {
	fp := newFingerprinter()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			link, _ = os.Readlink(path)
		}
		fp.add(strings.TrimPrefix(path, dir), info, link)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("fingerprint workspace: %w", err)
	}
	return fp.sum(), nil
}

// fingerprinter sums a tree's entries, in walk order, for fingerprint and pack.
type fingerprinter struct{ h hash.Hash }

func newFingerprinter() fingerprinter { return fingerprinter{sha256.New()} }

// add sums the entry at rel (slash-led, "" for the root); link is a symlink's target.
func (f fingerprinter) add(rel string, info fs.FileInfo, link string) {
	if info.IsDir() {
		// A directory's own mtime changes with every file created in it and says nothing
		// the entries below do not.
		fmt.Fprintf(f.h, "%s\x00d\x00", rel)
		return
	}
	fmt.Fprintf(f.h, "%s\x00%o\x00%d\x00%d\x00", rel, info.Mode(), info.Size(), info.ModTime().UnixNano())
	if link != "" {
		fmt.Fprintf(f.h, "%s\x00", link)
	}
}

func (f fingerprinter) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }
