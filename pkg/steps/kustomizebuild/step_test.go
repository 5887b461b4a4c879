package kustomizebuild_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/kustomizebuild"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, kustomizebuild.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, kustomizebuild.Name, kustomizebuild.Config{})
}

// TestRunCannotReadThroughSymlink: a resource that is a symlink to a file outside the
// workspace does not build, and its content reaches neither the output nor the error.
func TestRunCannotReadThroughSymlink(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	const secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hunter2\n"
	if err := os.WriteFile(outside, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	sc := steptest.NewContext(t, map[string]any{"path": "app", "outPath": "out.yaml"},
		map[string][]byte{"app/kustomization.yaml": []byte("resources:\n- link.yaml\n")})
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "app/link.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := steptest.Run(t, kustomizebuild.New(), sc)
	if o := steps.Classify(steps.Result{}, err); o.Reason != kustomizebuild.ReasonBuildFailed || strings.Contains(o.Message, "hunter2") {
		t.Errorf("Run(resource through a symlink out) = %+v, want reason %s without the secret", o, kustomizebuild.ReasonBuildFailed)
	}
	if _, err := os.Stat(filepath.Join(sc.WorkDir, "out.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("out.yaml after a failed build: Stat = %v, want it absent", err)
	}
}

func TestRunPathThroughSymlinkOut(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "kustomization.yaml"), []byte("resources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := steptest.NewContext(t, map[string]any{"path": "link", "outPath": "out.yaml"}, nil)
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "link")); err != nil {
		t.Fatal(err)
	}
	_, err := steptest.Run(t, kustomizebuild.New(), sc)
	if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
		t.Errorf("Run(path through a symlink out) = %v, want a terminal ErrPathEscape", err)
	}
}

func TestRunOutPathThroughSymlinkOut(t *testing.T) {
	outside := t.TempDir()
	sc := steptest.NewContext(t, map[string]any{"path": "app", "outPath": "link/out"},
		map[string][]byte{"app/kustomization.yaml": []byte("resources: [cm.yaml]\n"),
			"app/cm.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")})
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "link")); err != nil {
		t.Fatal(err)
	}
	_, err := steptest.Run(t, kustomizebuild.New(), sc)
	if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
		t.Errorf("Run(outPath through a symlink out) = %v, want a terminal ErrPathEscape", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the workspace: %v", entries)
	}
}

// TestRunConcurrently builds in parallel workspaces; builds are serialised, and each gets
// its own result.
func TestRunConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	errs := make([]error, 4)
	scs := make([]*steps.Context, 4)
	for i := range scs {
		scs[i] = steptest.NewContext(t, map[string]any{"path": ".", "outPath": "out.yaml"}, map[string][]byte{
			"kustomization.yaml": []byte(fmt.Sprintf("namePrefix: p%d-\nresources: [cm.yaml]\n", i)),
			"cm.yaml":            []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"),
		})
	}
	for i, sc := range scs {
		wg.Go(func() { _, errs[i] = kustomizebuild.New().Run(t.Context(), sc) })
	}
	wg.Wait()
	for i, sc := range scs {
		b, _ := os.ReadFile(filepath.Join(sc.WorkDir, "out.yaml"))
		if want := fmt.Sprintf("name: p%d-a", i); errs[i] != nil || !strings.Contains(string(b), want) {
			t.Errorf("build %d: err %v, out.yaml %q, want it to hold %q", i, errs[i], b, want)
		}
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	sc := steptest.NewContext(t, map[string]any{"path": ".", "outPath": "out.yaml"},
		map[string][]byte{"kustomization.yaml": []byte("resources: []\n")})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := kustomizebuild.New().Run(ctx, sc); !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled ctx) = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(sc.WorkDir, "out.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("out.yaml after a cancelled Run: Stat = %v, want it absent", err)
	}
}

func TestInfo(t *testing.T) {
	if got := kustomizebuild.New().Info(); got.Name != "kustomize-build" || got.Executor != "config" || got.ReadOnly {
		t.Errorf("Info() = %+v, want kustomize-build on config, not read-only", got)
	}
}

// BenchmarkRun builds an overlay of a base of 20 services (Deployment, Service, ConfigMap
// each) with a prefix, labels, images and a patch, into a directory.
func BenchmarkRun(b *testing.B) {
	files := map[string][]byte{}
	var res strings.Builder
	res.WriteString("resources:\n")
	for i := range 20 {
		name := fmt.Sprintf("svc%02d", i)
		res.WriteString("- " + name + ".yaml\n")
		files["base/"+name+".yaml"] = []byte(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
      - name: app
        image: ghcr.io/example/%[1]s:v1.0.0
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
spec:
  selector: {app: %[1]s}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: %[1]s
data:
  LOG_LEVEL: info
`, name))
	}
	files["base/kustomization.yaml"] = []byte(res.String())
	files["overlays/prod/kustomization.yaml"] = []byte(`namespace: prod
namePrefix: prod-
labels:
- pairs: {env: prod}
resources: [../../base]
images:
- {name: ghcr.io/example/svc03, newTag: v2.0.0}
patches:
- target: {kind: Deployment}
  patch: |-
    - op: replace
      path: /spec/replicas
      value: 3
`)
	sc := steptest.NewContext(b, map[string]any{"path": "overlays/prod", "outPath": "out/prod"}, files)
	step := kustomizebuild.New()
	for b.Loop() {
		if _, err := step.Run(b.Context(), sc); err != nil {
			b.Fatal(err)
		}
	}
}
