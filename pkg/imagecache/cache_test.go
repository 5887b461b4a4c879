package imagecache_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/drayhq/dray/pkg/container/containertest"
	"github.com/drayhq/dray/pkg/imagecache"
)

func TestGetUnpacksAndCaches(t *testing.T) {
	reg := containertest.NewRegistry(t)
	ref := reg.Push(t, "tools/busybox", "1", containertest.BusyboxImage(t))
	c, err := imagecache.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.Get(t.Context(), ref, nil)
	if err != nil {
		t.Fatalf("Get(%q) = %v", ref, err)
	}
	if fi, err := os.Stat(filepath.Join(img.Rootfs, "bin", "busybox")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("bin/busybox = %v, %v; want an executable file", fi, err)
	}
	if link, err := os.Readlink(filepath.Join(img.Rootfs, "bin", "sh")); err != nil || link != "busybox" {
		t.Errorf("bin/sh -> %q, %v; want busybox", link, err)
	}
	if diff := cmp.Diff([]string{"PATH=/bin"}, img.Config.Env); diff != "" {
		t.Errorf("Config.Env (-want +got):\n%s", diff)
	}
	pulled := reg.BlobGets()
	if pulled == 0 {
		t.Fatal("the first Get downloaded no blob")
	}

	// A second Get, by tag and by digest, and from a new Cache on the same directory (a
	// restarted executor), downloads nothing.
	again, err := c.Get(t.Context(), ref, nil)
	if err != nil || again.Rootfs != img.Rootfs {
		t.Fatalf("second Get = %v, %v; want the same rootfs %s", again, err, img.Rootfs)
	}
	r, _ := name.ParseReference(ref)
	desc, err := remote.Head(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(t.Context(), r.Context().Digest(desc.Digest.String()).String(), nil); err != nil {
		t.Fatalf("Get by digest = %v", err)
	}
	if got := reg.BlobGets(); got != pulled {
		t.Errorf("blob downloads after warm Gets = %d, want still %d", got, pulled)
	}
}

func TestGetAppliesWhiteouts(t *testing.T) {
	reg := containertest.NewRegistry(t)
	base := containertest.Layer(t,
		containertest.File{Name: "a/x", Body: []byte("x")},
		containertest.File{Name: "a/y", Body: []byte("y")},
		containertest.File{Name: "b/old", Body: []byte("old")},
		containertest.File{Name: "c/suid", Body: []byte("s"), Mode: 0o4755},
		containertest.File{Name: "dev/null", Type: tar.TypeChar},
		containertest.File{Name: "link", Type: tar.TypeSymlink, Link: "a/y"},
	)
	top := containertest.Layer(t,
		containertest.File{Name: "a/.wh.x"},
		containertest.File{Name: "b/new", Body: []byte("new")},
		containertest.File{Name: "b/.wh..wh..opq"},
		containertest.File{Name: "link", Body: []byte("a file now")}, // must not write through the old symlink
		containertest.File{Name: "c/hard", Type: tar.TypeLink, Link: "c/suid"},
	)
	ref := reg.Push(t, "layers", "v1", containertest.Image(t, nil, base, top))
	c, err := imagecache.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.Get(t.Context(), ref, nil)
	if err != nil {
		t.Fatalf("Get = %v", err)
	}
	got := map[string]string{}
	err = filepath.WalkDir(img.Rootfs, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(img.Rootfs, p)
		fi, _ := d.Info()
		b, _ := os.ReadFile(p)
		got[filepath.ToSlash(rel)] = fi.Mode().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a/y":    "-rw-r--r-- y",
		"b/new":  "-rw-r--r-- new",
		"c/suid": "-rwxr-xr-x s",
		"c/hard": "-rwxr-xr-x s",
		"link":   "-rw-r--r-- a file now",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unpacked rootfs (-want +got):\n%s", diff)
	}
}

func TestGetRejectsEscapes(t *testing.T) {
	tests := []struct {
		name  string
		files []containertest.File
	}{
		{"dot-dot", []containertest.File{{Name: "../../evil", Body: []byte("x")}}},
		{"through absolute symlink", []containertest.File{
			{Name: "etc", Type: tar.TypeSymlink, Link: "/"},
			{Name: "etc/evil", Body: []byte("x")},
		}},
		{"through relative symlink", []containertest.File{
			{Name: "up", Type: tar.TypeSymlink, Link: "../../../.."},
			{Name: "up/evil", Body: []byte("x")},
		}},
		{"hard link outside", []containertest.File{{Name: "h", Type: tar.TypeLink, Link: "../../etc/passwd"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := containertest.NewRegistry(t)
			ref := reg.Push(t, "evil", "v1", containertest.Image(t, nil, containertest.Layer(t, tt.files...)))
			dir := t.TempDir()
			c, err := imagecache.New(filepath.Join(dir, "cache"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Get(t.Context(), ref, nil); err == nil {
				t.Fatalf("Get = nil, want an error")
			}
			if _, err := os.Stat(filepath.Join(dir, "evil")); err == nil {
				t.Errorf("a file was written outside the root filesystem")
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "cache", "images")); len(entries) != 0 {
				t.Errorf("images/ holds %d entries after a failed unpack, want none", len(entries))
			}
		})
	}
}

func TestGetRejectsCorruptBlob(t *testing.T) {
	reg := containertest.NewRegistry(t)
	ref := reg.Push(t, "tools/busybox", "1", containertest.BusyboxImage(t))
	// The registry answers the layer's digest with another, well-formed layer: only the
	// digest check can notice.
	other := containertest.Layer(t, containertest.File{Name: "bin/busybox", Body: []byte("#!/bin/sh\necho pwned\n"), Mode: 0o755})
	rc, err := other.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	swapped, _ := io.ReadAll(rc)
	c, err := imagecache.New(t.TempDir(), imagecache.WithTransport(swapping{http.DefaultTransport, swapped}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(t.Context(), ref, nil)
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("Get of a corrupted layer = %v, want a checksum mismatch", err)
	}
}

func TestGetRejectsOversizedImage(t *testing.T) {
	reg := containertest.NewRegistry(t)
	ref := reg.Push(t, "big", "v1", containertest.Image(t, nil, containertest.Layer(t, containertest.File{Name: "f", Body: bytes.Repeat([]byte("x"), 4096)})))
	c, err := imagecache.New(t.TempDir(), imagecache.WithMaxSize(1024))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(t.Context(), ref, nil); !errors.Is(err, imagecache.ErrTooLarge) {
		t.Fatalf("Get = %v, want ErrTooLarge", err)
	}
}

// swapping serves body for every layer blob (configs, which are small, are left alone so the
// pull reaches the layer).
type swapping struct {
	next http.RoundTripper
	body []byte
}

func (c swapping) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/blobs/") {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > 100_000 { // the busybox layer, not the config
		body = padGzip(c.body, len(body))
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// padGzip appends to the gzip stream z a second gzip member of stored random bytes, so that
// the whole is exactly size bytes long and still decompresses cleanly.
func padGzip(z []byte, size int) []byte {
	member := func(n int) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
		filler := make([]byte, n)
		_, _ = rand.Read(filler)
		_, _ = zw.Write(filler)
		_ = zw.Close()
		return buf.Bytes()
	}
	n := size - len(z) - 64
	for range 10 {
		m := member(n)
		if d := size - len(z) - len(m); d != 0 {
			n += d
			continue
		}
		return append(append([]byte{}, z...), m...)
	}
	panic("cannot pad gzip stream")
}
