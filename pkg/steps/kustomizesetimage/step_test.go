package kustomizesetimage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	kustypes "sigs.k8s.io/kustomize/api/types"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/kustomizesetimage"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, kustomizesetimage.New(nil)) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, kustomizesetimage.Name, kustomizesetimage.Config{})
}

// freightSource returns fixed Freight for promotion prod.01j of project kargo-demo.
type freightSource struct {
	freight []v1.Freight
	err     error
}

func (f freightSource) PromotionFreight(_ context.Context, project, promotion string) ([]v1.Freight, error) {
	if project != "kargo-demo" || promotion != "prod.01j" {
		return nil, fmt.Errorf("no promotion %s/%s", project, promotion)
	}
	return f.freight, f.err
}

func freight(name string, images ...v1.Image) v1.Freight {
	return v1.Freight{Metadata: v1.ObjectMeta{Name: name}, Images: images}
}

func TestRunImagesFromFreight(t *testing.T) {
	src := freightSource{freight: []v1.Freight{
		freight("f1", v1.Image{RepoURL: "ghcr.io/example/app", Tag: "v2.0.0", Digest: "sha256:aaaa"}),
		freight("f2", v1.Image{RepoURL: "ghcr.io/example/worker", Tag: "1.1"}),
	}}
	sc := steptest.NewContext(t, map[string]any{"path": "."}, map[string][]byte{
		"kustomization.yaml": []byte("# keep me\nimages:\n- name: ghcr.io/example/app\n  newName: mirror/app\n  newTag: v1.0.0\n"),
	})
	res, err := steptest.Run(t, kustomizesetimage.New(src), sc)
	if err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	got, err := os.ReadFile(filepath.Join(sc.WorkDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := `# keep me
images:
- name: ghcr.io/example/app
  newTag: v2.0.0
  digest: sha256:aaaa
- name: ghcr.io/example/worker
  newTag: "1.1"
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("kustomization.yaml mismatch (-want +got):\n%s", diff)
	}
	wantMsg := "Updated . to use new images\n\n- ghcr.io/example/app:v2.0.0@sha256:aaaa\n- ghcr.io/example/worker:1.1"
	if got := res.Outputs["commitMessage"]; got != wantMsg {
		t.Errorf("commitMessage = %q, want %q", got, wantMsg)
	}
}

func TestRunImagesFromFreightErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      freightSource
		reason   string
		terminal bool
	}{
		{"ambiguous", freightSource{freight: []v1.Freight{
			freight("f1", v1.Image{RepoURL: "nginx", Tag: "1"}),
			freight("f2", v1.Image{RepoURL: "nginx", Tag: "2"}),
		}}, kustomizesetimage.ReasonAmbiguousImage, false},
		{"source fails", freightSource{err: errors.New("state service unavailable")}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const in = "images: []\n"
			sc := steptest.NewContext(t, map[string]any{"path": "."}, map[string][]byte{"kustomization.yaml": []byte(in)})
			_, err := steptest.Run(t, kustomizesetimage.New(tt.src), sc)
			o := steps.Classify(steps.Result{}, err)
			if err == nil || o.Reason != tt.reason || steps.IsTerminal(err) != tt.terminal {
				t.Errorf("Run() = %v (%+v), want an error with reason %q, terminal %v", err, o, tt.reason, tt.terminal)
			}
			if b, _ := os.ReadFile(filepath.Join(sc.WorkDir, "kustomization.yaml")); string(b) != in {
				t.Errorf("kustomization.yaml after a failed Run = %q, want %q", b, in)
			}
		})
	}
}

func TestFreightImages(t *testing.T) {
	got, err := kustomizesetimage.FreightImages([]v1.Freight{
		freight("f1", v1.Image{RepoURL: "b", Tag: "1"}, v1.Image{RepoURL: "a", Digest: "sha256:1"}),
	})
	want := []kustypes.Image{{Name: "a", Digest: "sha256:1"}, {Name: "b", NewTag: "1"}}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("FreightImages() = %v, %v, want %v", got, err, want)
	}
	_, err = kustomizesetimage.FreightImages([]v1.Freight{freight("f1", v1.Image{RepoURL: "a"}), freight("f2", v1.Image{RepoURL: "a"})})
	if !errors.Is(err, kustomizesetimage.ErrAmbiguousImage) || !strings.Contains(err.Error(), "f1 and f2") {
		t.Errorf("FreightImages(a in two Freights) = %v, want ErrAmbiguousImage naming f1 and f2", err)
	}
}

func TestRunTwiceIsIdempotent(t *testing.T) {
	cfg := map[string]any{"path": "k", "images": []any{map[string]any{"image": "nginx", "tag": "1.27"}}}
	sc := steptest.NewContext(t, cfg, map[string][]byte{"k/kustomization.yaml": []byte("resources:\n- a.yaml # app\n")})
	var outs []string
	for range 2 {
		if _, err := steptest.Run(t, kustomizesetimage.New(nil), sc); err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
		b, err := os.ReadFile(filepath.Join(sc.WorkDir, "k/kustomization.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	want := "resources:\n- a.yaml # app\nimages:\n- name: nginx\n  newTag: \"1.27\"\n"
	if outs[0] != want || outs[1] != want {
		t.Errorf("file after two runs = %q, want %q twice", outs, want)
	}
}

func TestRunThroughSymlinkOut(t *testing.T) {
	outside := t.TempDir()
	const in = "resources: []\n"
	if err := os.WriteFile(filepath.Join(outside, "kustomization.yaml"), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := steptest.NewContext(t, map[string]any{"path": "link", "images": []any{map[string]any{"image": "nginx", "tag": "1"}}}, nil)
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "link")); err != nil {
		t.Fatal(err)
	}
	_, err := steptest.Run(t, kustomizesetimage.New(nil), sc)
	if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
		t.Errorf("Run(path through a symlink out) = %v, want a terminal ErrPathEscape", err)
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "kustomization.yaml")); string(b) != in {
		t.Errorf("kustomization outside the workspace = %q, want %q", b, in)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	const in = "resources: []\n"
	sc := steptest.NewContext(t, map[string]any{"path": ".", "images": []any{map[string]any{"image": "nginx", "tag": "1"}}},
		map[string][]byte{"kustomization.yaml": []byte(in)})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := kustomizesetimage.New(nil).Run(ctx, sc); !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled ctx) = %v, want context.Canceled", err)
	}
	if b, _ := os.ReadFile(filepath.Join(sc.WorkDir, "kustomization.yaml")); string(b) != in {
		t.Errorf("kustomization after a cancelled Run = %q, want %q", b, in)
	}
}

func TestInfo(t *testing.T) {
	if got := kustomizesetimage.New(nil).Info(); got.Name != "kustomize-set-image" || got.Executor != "config" || got.ReadOnly {
		t.Errorf("Info() = %+v, want kustomize-set-image on config, not read-only", got)
	}
}

// BenchmarkRun sets three images in a commented overlay of 40 images.
func BenchmarkRun(b *testing.B) {
	var k strings.Builder
	k.WriteString("# Production overlay.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\nimages:\n")
	for i := range 40 {
		fmt.Fprintf(&k, "# service %d\n- name: ghcr.io/example/svc-%02d\n  newTag: v1.%d.0\n", i, i, i)
	}
	in := []byte(k.String())
	cfg := map[string]any{"path": "overlays/prod", "images": []any{
		map[string]any{"image": "ghcr.io/example/svc-03", "tag": "v2.0.0"},
		map[string]any{"image": "ghcr.io/example/svc-17", "digest": "sha256:4e3b1f0d9c6a8b7e2f1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f"},
		map[string]any{"image": "ghcr.io/example/svc-39", "newName": "mirror.example.com/svc-39", "tag": "*"},
	}}
	sc := steptest.NewContext(b, cfg, map[string][]byte{"overlays/prod/kustomization.yaml": in})
	step := kustomizesetimage.New(nil)
	p := filepath.Join(sc.WorkDir, "overlays/prod/kustomization.yaml")
	b.ResetTimer()
	for b.Loop() {
		if err := os.WriteFile(p, in, 0o644); err != nil {
			b.Fatal(err)
		}
		if _, err := step.Run(b.Context(), sc); err != nil {
			b.Fatal(err)
		}
	}
}
