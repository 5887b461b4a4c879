package ocipush_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	cr "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/httpstep"
	"github.com/drayhq/dray/pkg/steps/internal/ocitest"
	"github.com/drayhq/dray/pkg/steps/ocipush"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, ocipush.Name, ocipush.Config{})
}

func push(t *testing.T, opts ocipush.Options, cfg map[string]any) (steps.Result, error) {
	t.Helper()
	return steptest.Run(t, ocipush.New(opts), steptest.NewContext(t, cfg, nil))
}

func get(t *testing.T, ref string, opts ...remote.Option) *remote.Descriptor {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r, opts...)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	return d
}

func wantOutputs(t *testing.T, res steps.Result, image string, digest cr.Hash, tag string) {
	t.Helper()
	want := map[string]any{"image": image, "digest": digest.String(), "tag": tag}
	if diff := cmp.Diff(want, res.Outputs); diff != "" {
		t.Errorf("outputs mismatch (-want +got):\n%s", diff)
	}
}

func TestRetagWithinRepository(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	img := ocitest.Image(t, ocitest.Layer{MediaType: types.OCILayer, Data: "app"})
	digest := ocitest.Push(t, host+"/app:build-7", img)

	res, err := push(t, ocipush.Options{}, map[string]any{"srcRef": host + "/app:build-7", "destRef": host + "/app:prod"})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	wantOutputs(t, res, host+"/app:prod", digest, "prod")
	if got := get(t, host+"/app:prod").Digest; got != digest {
		t.Errorf("app:prod = %s, want %s", got, digest)
	}
}

func TestCopySingleImage(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	img := ocitest.Image(t, ocitest.Layer{MediaType: types.OCILayer, Data: "app layer"})
	digest := ocitest.Push(t, host+"/staging/app:v1", img)

	res, err := push(t, ocipush.Options{}, map[string]any{"srcRef": host + "/staging/app@" + digest.String(), "destRef": host + "/prod/app:v1"})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	wantOutputs(t, res, host+"/prod/app:v1", digest, "v1")
	copied, err := get(t, host+"/prod/app:v1").Image()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := copied.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %v, %v, want one", layers, err)
	}
	if got := ocitest.Blob(t, layers[0]); got != "app layer" {
		t.Errorf("copied layer = %q, want %q", got, "app layer")
	}
}

func TestCopyIndex(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	idx := ocitest.Index(t, "linux/amd64", "linux/arm64")
	digest := ocitest.Push(t, host+"/staging/app:v1", idx)

	res, err := push(t, ocipush.Options{}, map[string]any{"srcRef": host + "/staging/app:v1", "destRef": "oci://" + host + "/prod/app:v1"})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	wantOutputs(t, res, "oci://"+host+"/prod/app:v1", digest, "v1")
	copied, err := get(t, host+"/prod/app:v1").ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := copied.Digest(); got != digest {
		t.Errorf("copied index = %s, want %s", got, digest)
	}
	im, err := copied.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, d := range im.Manifests {
		img, err := copied.Image(d.Digest) // every manifest and layer was copied
		if err != nil {
			t.Fatal(err)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		if got := ocitest.Blob(t, layers[0]); got != "layer of "+d.Platform.String() {
			t.Errorf("layer of %s = %q", d.Platform, got)
		}
		platforms = append(platforms, d.Platform.String())
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, platforms); diff != "" {
		t.Errorf("platforms mismatch (-want +got):\n%s", diff)
	}
}

func TestAnnotationsSingleImage(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	ocitest.Push(t, host+"/app:v1", ocitest.Image(t, ocitest.Layer{MediaType: types.OCILayer, Data: "app"}))

	res, err := push(t, ocipush.Options{}, map[string]any{"srcRef": host + "/app:v1", "destRef": host + "/app:prod",
		"annotations": map[string]any{"stage": "prod", "manifest:promotion": "prod.01j", "index:ignored": "yes"}})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	d := get(t, host+"/app:prod")
	wantOutputs(t, res, host+"/app:prod", d.Digest, "prod")
	img, err := d.Image()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"stage": "prod", "promotion": "prod.01j"}, m.Annotations); diff != "" {
		t.Errorf("manifest annotations mismatch (-want +got):\n%s", diff)
	}
	if src := get(t, host+"/app:v1"); src.Digest == d.Digest {
		t.Errorf("app:prod has the digest of app:v1, want a new manifest")
	}
}

func TestAnnotationsIndex(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	ocitest.Push(t, host+"/staging/app:v1", ocitest.Index(t, "linux/amd64", "linux/arm64"))

	res, err := push(t, ocipush.Options{}, map[string]any{"srcRef": host + "/staging/app:v1", "destRef": host + "/prod/app:v1",
		"annotations": map[string]any{"index:org.opencontainers.image.ref.name": "v1", "manifest:stage": "prod", "team": "a"}})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	d := get(t, host+"/prod/app:v1")
	wantOutputs(t, res, host+"/prod/app:v1", d.Digest, "v1")
	idx, err := d.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"org.opencontainers.image.ref.name": "v1"}, im.Annotations); diff != "" {
		t.Errorf("index annotations mismatch (-want +got):\n%s", diff)
	}
	var platforms []string
	for _, desc := range im.Manifests {
		platforms = append(platforms, desc.Platform.String())
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{"stage": "prod", "team": "a"}, m.Annotations); diff != "" {
			t.Errorf("annotations of %s mismatch (-want +got):\n%s", desc.Platform, diff)
		}
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, platforms); diff != "" {
		t.Errorf("platforms mismatch (-want +got):\n%s", diff)
	}
}

func TestInvalidRefs(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	digest := ocitest.Push(t, host+"/app:v1", ocitest.Image(t))
	for _, dest := range []string{host + "/app", "oci://" + host + "/app", host + "/app@" + digest.String(), "oci://" + host + ":5000/app"} {
		_, err := push(t, ocipush.Options{}, map[string]any{"srcRef": host + "/app:v1", "destRef": dest})
		if o := steps.Classify(steps.Result{}, err); o.Reason != "InvalidConfig" || !steps.IsTerminal(err) {
			t.Errorf("Run(destRef %s) = %v, want a terminal InvalidConfig", dest, err)
		}
	}
	_, err := push(t, ocipush.Options{}, map[string]any{"srcRef": "Not A Ref", "destRef": host + "/app:v2"})
	if !steps.IsTerminal(err) {
		t.Errorf("Run(bad srcRef) = %v, want terminal", err)
	}
	_, err = push(t, ocipush.Options{}, map[string]any{"srcRef": host + "/app:missing", "destRef": host + "/app:v2"})
	if err == nil || steps.IsTerminal(err) {
		t.Errorf("Run(missing srcRef) = %v, want a retryable error", err)
	}
}

func TestCopyLimit(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	img := ocitest.Image(t, ocitest.Layer{MediaType: types.OCILayer, Data: "0123456789"})
	ocitest.Push(t, host+"/staging/app:v1", img)
	ocitest.Push(t, host+"/staging/multi:v1", ocitest.Index(t, "linux/amd64", "linux/arm64"))
	small := ocipush.Options{MaxCopyBytes: 5}

	for _, src := range []string{"/staging/app:v1", "/staging/multi:v1"} {
		_, err := push(t, small, map[string]any{"srcRef": host + src, "destRef": host + "/prod/app:v1"})
		if o := steps.Classify(steps.Result{}, err); o.Reason != ocipush.ReasonImageTooLarge || !steps.IsTerminal(err) {
			t.Errorf("Run(copy %s over the limit) = %v, want a terminal %s", src, err, ocipush.ReasonImageTooLarge)
		}
	}
	if _, err := remote.Head(mustRef(t, host+"/prod/app:v1")); err == nil {
		t.Errorf("prod/app:v1 exists after copies over the limit")
	}
	// A retag moves no blobs: the limit does not apply.
	if _, err := push(t, small, map[string]any{"srcRef": host + "/staging/app:v1", "destRef": host + "/staging/app:prod"}); err != nil {
		t.Errorf("Run(retag within the repository) = %v, want nil", err)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCredentials(t *testing.T) {
	host := ocitest.Registry(t, "bot", "s3cret")
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "s3cret"}))
	digest := ocitest.Push(t, host+"/staging/app:v1", ocitest.Index(t, "linux/amd64"), auth)
	store := ocitest.Secrets(t, "kargo-demo",
		ocitest.Credential{Type: secret.TypeImage, RepoURL: host + "/staging/app", Username: "bot", Password: "s3cret"},
		ocitest.Credential{Type: secret.TypeHelm, RepoURL: "oci://" + host + "/prod/app", Username: "bot", Password: "s3cret"},
	)

	// Image credentials for the source, Helm credentials for an oci:// destination.
	res, err := push(t, ocipush.Options{Secrets: store}, map[string]any{"srcRef": host + "/staging/app:v1", "destRef": "oci://" + host + "/prod/app:v1"})
	if err != nil {
		t.Fatalf("Run with credentials = %v", err)
	}
	wantOutputs(t, res, "oci://"+host+"/prod/app:v1", digest, "v1")
	if got := get(t, host+"/prod/app:v1", auth).Digest; got != digest {
		t.Errorf("prod/app:v1 = %s, want %s", got, digest)
	}

	// Without Helm credentials for an oci:// destination, or without a store, the push is
	// anonymous and refused (retryable).
	for _, tc := range []struct {
		name  string
		store *secret.Store
		dest  string
	}{
		{"image credentials only", store, "oci://" + host + "/staging/app:v2"},
		{"no secret store", nil, host + "/staging/app:v2"},
	} {
		_, err := push(t, ocipush.Options{Secrets: tc.store}, map[string]any{"srcRef": host + "/staging/app:v1", "destRef": tc.dest})
		if err == nil || steps.IsTerminal(err) {
			t.Errorf("%s: Run = %v, want a retryable error", tc.name, err)
		}
	}
}

// TestHostAllowlist: with the http executor's allowlist as its guard, the step copies
// between registries the project's list names, and is refused, terminally and before
// anything is pushed, when the destination is not named.
func TestHostAllowlist(t *testing.T) {
	src, dest := ocitest.Registry(t, "", ""), ocitest.Registry(t, "", "")
	digest := ocitest.Push(t, src+"/staging/app:v1", ocitest.Image(t, ocitest.Layer{MediaType: types.OCILayer, Data: "app layer"}))
	cfg := map[string]any{"srcRef": src + "/staging/app@" + digest.String(), "destRef": dest + "/prod/app:v1"}
	guard := func(allowed ...string) ocipush.Options {
		return ocipush.Options{Guard: httpstep.ClientOptions{AllowedHosts: map[string][]string{"kargo-demo": allowed}}.Guard}
	}

	_, err := push(t, guard(src), cfg)
	if !steps.IsTerminal(err) || !errors.Is(err, steps.Reasoned(httpstep.ReasonHostNotAllowed, nil)) {
		t.Fatalf("Run with only the source allowed = %v, want a terminal %s error", err, httpstep.ReasonHostNotAllowed)
	}
	exists := func() bool {
		ref, err := name.ParseReference(dest + "/prod/app:v1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = remote.Head(ref)
		return err == nil
	}
	if exists() {
		t.Error("the refused push reached the destination")
	}
	if _, err := push(t, guard(src, dest), cfg); err != nil {
		t.Fatalf("Run with both registries allowed = %v", err)
	}
	if !exists() {
		t.Error("the allowed push did not reach the destination")
	}
}
