package image_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	cr "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// testRegistry is go-containerregistry's in-memory registry on loopback, counting the
// requests it serves per path.
type testRegistry struct {
	host string

	mu       sync.Mutex
	requests map[string]int
	onServe  func(path string)
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{requests: map[string]int{}}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h.ServeHTTP(w, req)
		r.mu.Lock()
		r.requests[req.URL.Path]++
		f := r.onServe
		r.mu.Unlock()
		if f != nil {
			f(req.URL.Path)
		}
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// count returns how many requests were served for paths containing s.
func (r *testRegistry) count(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for p, c := range r.requests {
		if strings.Contains(p, s) {
			n += c
		}
	}
	return n
}

// newImage is a random single-platform image whose config says it was created at created,
// with the given config labels and manifest annotations.
func newImage(t *testing.T, created time.Time, labels, annotations map[string]string) cr.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Created = cr.Time{Time: created}
	cf.Config.Labels = labels
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	if annotations != nil {
		img = mutate.Annotations(img, annotations).(cr.Image)
	}
	return img
}

// platformImage is one entry of an index.
type platformImage struct {
	platform    string
	img         cr.Image
	annotations map[string]string
}

// index builds a multi-platform index with the given index annotations.
func index(t *testing.T, annotations map[string]string, entries ...platformImage) cr.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, e := range entries {
		p, err := cr.ParsePlatform(e.platform)
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: e.img, Descriptor: cr.Descriptor{Platform: p, Annotations: e.annotations}})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	if annotations != nil {
		idx = mutate.Annotations(idx, annotations).(cr.ImageIndex)
	}
	return idx
}

// push writes an image or index under repo:tag and returns its digest.
func push(t *testing.T, repo, tag string, artifact any) string {
	t.Helper()
	ref, err := name.NewTag(repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	var d cr.Hash
	switch a := artifact.(type) {
	case cr.Image:
		err = remote.Write(ref, a, remote.WithContext(t.Context()))
		if err == nil {
			d, err = a.Digest()
		}
	case cr.ImageIndex:
		err = remote.WriteIndex(ref, a, remote.WithContext(t.Context()))
		if err == nil {
			d, err = a.Digest()
		}
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return d.String()
}

// t0 is the base of every build time in the fixture.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func at(h int) *time.Time {
	t := t0.Add(time.Duration(h) * time.Hour)
	return &t
}

// fixture is the tag set every strategy is tested on, and what discovery should record for
// each tag when no platform is set.
type fixture struct {
	repo string
	refs map[string]v1.DiscoveredImageReference
	// v1Image is the image tagged v1.0.0, to move "latest" onto.
	v1Image cr.Image
}

// newFixture pushes:
//
//	1.0.0       image, config created t0+1h
//	v1.0.0      image, created t0+2h (same version as 1.0.0)
//	1.1.0       index amd64 (t0+3h) + arm64/v8 (t0+5h, annotated), index annotated
//	latest      the same index as 1.1.0
//	1.2         image, created t0+4h (not a strict semver)
//	1.4.0       image, manifest annotation org.label-schema.build-date t0+8h
//	1.5.0       index amd64 only, index annotation org.opencontainers.image.created t0+6h
//	1.6.0       image, created t0, label org.label-schema.build-date t0+9h (later, wins)
//	1.7.0 1.7.1 images, both created t0+1h
//	2.0.0-rc.1  image, created t0+10h
//	abc         image, created t0+7h
func newFixture(t *testing.T, reg *testRegistry) *fixture {
	t.Helper()
	f := &fixture{repo: reg.host + "/team/app", refs: map[string]v1.DiscoveredImageReference{}}
	add := func(tag string, a any, created *time.Time, ann map[string]string) {
		f.refs[tag] = v1.DiscoveredImageReference{Tag: tag, Digest: push(t, f.repo, tag, a), CreatedAt: created, Annotations: ann}
	}
	add("1.0.0", newImage(t, *at(1), nil, nil), at(1), nil)
	f.v1Image = newImage(t, *at(2), nil, nil)
	add("v1.0.0", f.v1Image, at(2), nil)
	idxAnn := map[string]string{"org.opencontainers.image.title": "app", "x": "index"}
	idx := index(t, idxAnn,
		platformImage{platform: "linux/amd64", img: newImage(t, *at(3), nil, nil)},
		platformImage{platform: "linux/arm64/v8", img: newImage(t, *at(5), nil, nil), annotations: map[string]string{"x": "arm64"}},
		platformImage{platform: "unknown/unknown", img: newImage(t, *at(50), nil, nil)}, // attestation-like: ignored
	)
	add("1.1.0", idx, at(5), idxAnn)
	add("latest", idx, at(5), idxAnn)
	add("1.2", newImage(t, *at(4), nil, nil), at(4), nil)
	ann := map[string]string{"org.label-schema.build-date": at(8).Format(time.RFC3339)}
	add("1.4.0", newImage(t, *at(0), nil, ann), at(8), ann)
	ann = map[string]string{"org.opencontainers.image.created": at(6).Format(time.RFC3339)}
	add("1.5.0", index(t, ann, platformImage{platform: "linux/amd64", img: newImage(t, *at(1), nil, nil)}), at(6), ann)
	add("1.6.0", newImage(t, *at(0), map[string]string{"org.label-schema.build-date": at(9).Format(time.RFC3339)}, nil), at(9), nil)
	add("1.7.0", newImage(t, *at(1), nil, nil), at(1), nil)
	add("1.7.1", newImage(t, *at(1), nil, nil), at(1), nil)
	add("2.0.0-rc.1", newImage(t, *at(10), nil, nil), at(10), nil)
	add("abc", newImage(t, *at(7), nil, nil), at(7), nil)
	return f
}
