// Package containertest starts what container tests need: an in-process OCI registry that
// counts its blob requests, and a small image built from the host's static busybox.
package containertest

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	ggcrv1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Busybox is where Debian's busybox-static package installs its binary (.ci/run installs it).
const Busybox = "/bin/busybox"

// Registry is an in-process OCI registry on loopback.
type Registry struct {
	// Host is host:port, e.g. 127.0.0.1:34567.
	Host  string
	blobs atomic.Int64
}

// NewRegistry starts go-containerregistry's registry behind httptest; it stops when the test
// ends.
func NewRegistry(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") {
			r.blobs.Add(1)
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// BlobGets counts the blob downloads served so far (layers and configs).
func (r *Registry) BlobGets() int64 { return r.blobs.Load() }

// Push stores img as repo:tag and returns its reference.
func (r *Registry) Push(t testing.TB, repo, tag string, img ggcrv1.Image) string {
	t.Helper()
	ref, err := name.ParseReference(r.Host + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return ref.String()
}

// File is one entry of a test layer.
type File struct {
	Name string
	// Body is the content of a regular file.
	Body []byte
	Mode int64
	// Type is a tar type flag; default a regular file.
	Type byte
	// Link is a symlink's or hard link's target.
	Link string
}

// Layer builds an uncompressed-tar layer from files, in order.
func Layer(t testing.TB, files ...File) ggcrv1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.Name, Mode: f.Mode, Typeflag: f.Type, Linkname: f.Link, ModTime: time.Unix(0, 0)}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
			if hdr.Typeflag == tar.TypeDir {
				hdr.Mode = 0o755
			}
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(f.Body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Image builds a linux/amd64 image from layers, with env in its config.
func Image(t testing.TB, env []string, layers ...ggcrv1.Layer) ggcrv1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = env
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// BusyboxImage is a one-layer image holding the host's static busybox as /bin/busybox with
// the applets the tests use linked beside it, and PATH=/bin. It fails the test when busybox
// is not installed (.ci/run installs busybox-static).
func BusyboxImage(t testing.TB) ggcrv1.Image {
	t.Helper()
	body, err := os.ReadFile(Busybox)
	if err != nil {
		t.Fatalf("read %s (install busybox-static; .ci/run does): %v", Busybox, err)
	}
	files := []File{{Name: "bin/", Type: tar.TypeDir}, {Name: "bin/busybox", Body: body, Mode: 0o755}}
	for _, applet := range []string{"sh", "echo", "cat", "sleep", "wget", "id", "ls", "printf", "true", "false", "env", "pwd", "touch", "yes", "head", "tr", "mkdir", "nc", "tail"} {
		files = append(files, File{Name: "bin/" + applet, Type: tar.TypeSymlink, Link: "busybox"})
	}
	return Image(t, []string{"PATH=/bin"}, Layer(t, files...))
}
