// Package ocitest runs go-containerregistry's in-memory registry for the OCI steps' tests,
// optionally behind basic auth, and fills a secret store with registry credentials.
package ocitest

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	cr "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/secret"
)

// Registry starts an in-memory registry on loopback (plain HTTP, which go-containerregistry
// uses for loopback hosts) and returns its host:port. With a user, every request must carry
// that user and password with basic auth. It stops when the test ends.
func Registry(t testing.TB, user, password string) string {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="ocitest"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Layer is one layer of an artifact built by Image.
type Layer struct {
	MediaType types.MediaType
	Data      string
}

// Image builds an OCI image whose layers are layers, as stored (not compressed again).
func Image(t testing.TB, layers ...Layer) cr.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, "application/vnd.dray.test.config.v1+json")
	for _, l := range layers {
		var err error
		img, err = mutate.AppendLayers(img, static.NewLayer([]byte(l.Data), l.MediaType))
		if err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// Index builds an OCI index of one image per platform ("linux/amd64", …), each with one
// layer whose data names its platform.
func Index(t testing.TB, platforms ...string) cr.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		os, arch, _ := strings.Cut(p, "/")
		img := Image(t, Layer{MediaType: types.OCILayer, Data: "layer of " + p})
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: cr.Descriptor{Platform: &cr.Platform{OS: os, Architecture: arch}},
		})
	}
	return idx
}

// Push writes img (an Image or an ImageIndex) to ref with opts, and returns its digest.
func Push(t testing.TB, ref string, img any, opts ...remote.Option) cr.Hash {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	var d cr.Hash
	switch img := img.(type) {
	case cr.Image:
		err = remote.Write(tag, img, opts...)
		if err == nil {
			d, err = img.Digest()
		}
	case cr.ImageIndex:
		err = remote.WriteIndex(tag, img, opts...)
		if err == nil {
			d, err = img.Digest()
		}
	default:
		t.Fatalf("Push(%T): want an image or an index", img)
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return d
}

// Blob reads a layer's stored bytes.
func Blob(t testing.TB, l cr.Layer) string {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, rc); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Credential is one credentials Secret: type secret.TypeImage or secret.TypeHelm, for
// repoURL.
type Credential struct {
	Type, RepoURL, Username, Password string
}

// Secrets returns a secret store on an embedded NATS server holding creds as Secrets of
// project.
func Secrets(t testing.TB, project string, creds ...Credential) *secret.Store {
	t.Helper()
	b := bustest.Start(t).Connect(t)
	st, err := secret.NewStore(b.Secrets, bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range creds {
		s := &v1.Secret{TypeMeta: v1.TypeMeta{APIVersion: v1.CoreVersion, Kind: v1.KindSecret},
			StringData: map[string]string{"repoURL": c.RepoURL, "username": c.Username, "password": c.Password}}
		s.Metadata.Name, s.Metadata.Namespace = "creds-"+string(rune('a'+i)), project
		s.Metadata.Labels = map[string]string{v1.LabelCredType: c.Type}
		if _, err := st.Put(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	return st
}
