package helmtemplate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/helmtemplate"
	"github.com/drayhq/dray/pkg/steps/internal/helmtest"
	"github.com/drayhq/dray/pkg/steps/internal/ocitest"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, helmtemplate.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, helmtemplate.Name, helmtemplate.Config{})
}

var simpleChart = map[string][]byte{
	"c/Chart.yaml":        []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"),
	"c/templates/cm.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"),
}

// TestRunBuildsDependencies fetches dependencies from two classic repositories, resolving a
// range from Chart.yaml (there is no Chart.lock), and writes Chart.lock and charts/.
func TestRunBuildsDependencies(t *testing.T) {
	classic := helmtest.NewRepo(t, helmtest.Chart("redis", "1.0.0"), helmtest.Chart("redis", "1.1.0"))
	other := helmtest.NewRepo(t, helmtest.Chart("nats", "2.0.0"))
	sc := steptest.NewContext(t, map[string]any{"path": "u", "releaseName": "r", "outPath": "out.yaml", "buildDependencies": true},
		map[string][]byte{"u/Chart.yaml": helmtest.ChartYAML("redis ~1.0.0 "+classic.URL, "nats 2.0.0 "+other.URL)})
	if _, err := steptest.Run(t, helmtemplate.New(), sc); err != nil {
		t.Fatalf("Run(buildDependencies) = %v, want nil", err)
	}
	out, err := os.ReadFile(filepath.Join(sc.WorkDir, "out.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: r-redis\ndata:\n  version: 1.0.0", "name: r-nats\ndata:\n  version: 2.0.0"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("out.yaml = %q, want it to hold %q", out, want)
		}
	}
	for _, f := range []string{"u/Chart.lock", "u/charts/redis-1.0.0.tgz", "u/charts/nats-2.0.0.tgz"} {
		if _, err := os.Stat(filepath.Join(sc.WorkDir, f)); err != nil {
			t.Errorf("after buildDependencies: %v", err)
		}
	}
}

// TestRunBuildsPrivateDependencies: a private repository is read with the project's Helm
// credentials for its URL; without them the build fails.
func TestRunBuildsPrivateDependencies(t *testing.T) {
	private := helmtest.NewRepo(t, helmtest.Chart("redis", "1.0.0"))
	private.RequireBasicAuth("bot", "s3cret")
	store := ocitest.Secrets(t, "kargo-demo",
		ocitest.Credential{Type: secret.TypeHelm, RepoURL: private.URL, Username: "bot", Password: "s3cret"})
	files := map[string][]byte{"u/Chart.yaml": helmtest.ChartYAML("redis 1.0.0 " + private.URL)}
	cfg := map[string]any{"path": "u", "releaseName": "r", "outPath": "out.yaml", "buildDependencies": true}

	sc := steptest.NewContext(t, cfg, files)
	if _, err := steptest.Run(t, helmtemplate.New(helmtemplate.WithCredentials(store)), sc); err != nil {
		t.Fatalf("Run(buildDependencies) with credentials = %v, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(sc.WorkDir, "u/charts/redis-1.0.0.tgz")); err != nil {
		t.Errorf("after buildDependencies: %v", err)
	}
	_, err := steptest.Run(t, helmtemplate.New(), steptest.NewContext(t, cfg, files))
	if o := steps.Classify(steps.Result{}, err); o.Status != "Errored" || o.Reason != helmtemplate.ReasonTemplateFailed {
		t.Errorf("Run(buildDependencies) without credentials = %+v, want Errored with reason %s", o, helmtemplate.ReasonTemplateFailed)
	}
}

func TestRunUnreachableRepository(t *testing.T) {
	sc := steptest.NewContext(t, map[string]any{"path": "u", "releaseName": "r", "outPath": "out.yaml", "buildDependencies": true},
		map[string][]byte{"u/Chart.yaml": helmtest.ChartYAML("redis 1.0.0 http://127.0.0.1:1/charts")})
	_, err := steptest.Run(t, helmtemplate.New(), sc)
	if o := steps.Classify(steps.Result{}, err); o.Status != "Errored" || o.Reason != helmtemplate.ReasonTemplateFailed {
		t.Errorf("Run(unreachable repository) = %+v, want Errored with reason %s", o, helmtemplate.ReasonTemplateFailed)
	}
}

func TestRunTemplateThroughSymlinkOut(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(outside, []byte("password: hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sc := steptest.NewContext(t, map[string]any{"path": "c", "releaseName": "r", "outPath": "out.yaml"}, simpleChart)
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "c/templates/secret.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := steptest.Run(t, helmtemplate.New(), sc)
	if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
		t.Errorf("Run(template through a symlink out) = %v, want a terminal ErrPathEscape", err)
	}
	if b, _ := os.ReadFile(filepath.Join(sc.WorkDir, "out.yaml")); strings.Contains(string(b), "hunter2") {
		t.Errorf("out.yaml holds the file outside the workspace: %q", b)
	}
}

func TestRunOutPathThroughSymlinkOut(t *testing.T) {
	outside := t.TempDir()
	sc := steptest.NewContext(t, map[string]any{"path": "c", "releaseName": "r", "outPath": "link/out"}, simpleChart)
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "link")); err != nil {
		t.Fatal(err)
	}
	_, err := steptest.Run(t, helmtemplate.New(), sc)
	if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
		t.Errorf("Run(outPath through a symlink out) = %v, want a terminal ErrPathEscape", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the workspace: %v", entries)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	sc := steptest.NewContext(t, map[string]any{"path": "c", "releaseName": "r", "outPath": "out.yaml"}, simpleChart)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := helmtemplate.New().Run(ctx, sc); !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled ctx) = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(sc.WorkDir, "out.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("out.yaml after a cancelled Run: Stat = %v, want it absent", err)
	}
}

func TestInfo(t *testing.T) {
	if got := helmtemplate.New().Info(); got.Name != "helm-template" || got.Executor != "config" || got.ReadOnly {
		t.Errorf("Info() = %+v, want helm-template on config, not read-only", got)
	}
}

// BenchmarkRun renders a chart of 30 templates with values files and set values into a
// directory.
func BenchmarkRun(b *testing.B) {
	files := map[string][]byte{
		"c/Chart.yaml":  []byte("apiVersion: v2\nname: c\nversion: 1.0.0\nappVersion: 1.0.0\n"),
		"c/values.yaml": []byte("replicaCount: 1\nimage: {repository: ghcr.io/example/app, tag: v1}\nenv: {LOG_LEVEL: info, REGION: eu}\n"),
		"c/templates/_helpers.tpl": []byte(`{{- define "c.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}`),
		"prod.yaml": []byte("replicaCount: 3\nenv: {LOG_LEVEL: warn}\n"),
	}
	for i := range 30 {
		files[fmt.Sprintf("c/templates/svc%02d.yaml", i)] = []byte(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-svc%02[1]d
  labels:
    {{- include "c.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
      - name: app
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        env:
        {{- range $k, $v := .Values.env }}
        - name: {{ $k }}
          value: {{ $v | quote }}
        {{- end }}
`, i))
	}
	sc := steptest.NewContext(b, map[string]any{"path": "c", "releaseName": "prod", "outPath": "out", "valuesFiles": []any{"prod.yaml"},
		"setValues": []any{map[string]any{"key": "image.tag", "value": "v2"}}}, files)
	step := helmtemplate.New()
	for b.Loop() {
		if _, err := step.Run(b.Context(), sc); err != nil {
			b.Fatal(err)
		}
	}
}
