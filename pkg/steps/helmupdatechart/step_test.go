package helmupdatechart_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/helmupdatechart"
	"github.com/drayhq/dray/pkg/steps/internal/helmtest"
	"github.com/drayhq/dray/pkg/steps/internal/ocitest"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, helmupdatechart.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, helmupdatechart.Name, helmupdatechart.Config{})
}

// repos starts a classic repository with redis 1.0.0, 1.1.0 and 2.0.0 and an OCI registry
// with nats 2.0.0 and 2.1.0.
func repos(t *testing.T) (classic, oci string) {
	t.Helper()
	r := helmtest.NewRepo(t, helmtest.Chart("redis", "1.0.0"), helmtest.Chart("redis", "1.1.0"), helmtest.Chart("redis", "2.0.0"))
	return r.URL, helmtest.NewRegistry(t, helmtest.Chart("nats", "2.0.0"), helmtest.Chart("nats", "2.1.0"))
}

// chartYAML is an umbrella Chart.yaml with comments, depending on redis and nats.
func chartYAML(classic, oci, redis, nats string) string {
	return `# The umbrella chart.
apiVersion: v2
name: umbrella
version: 0.1.0
dependencies:
# Cache.
- name: redis
  version: ` + redis + `
  repository: ` + classic + `
- name: nats # messaging
  version: "` + nats + `"
  repository: ` + oci + `
`
}

func run(t *testing.T, sc *steps.Context) (steps.Result, error) {
	t.Helper()
	return steptest.Run(t, helmupdatechart.New(helmupdatechart.WithPlainHTTP()), sc)
}

func lockVersions(t *testing.T, dir string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if err != nil {
		t.Fatal(err)
	}
	var l chart.Lock
	if err := yaml.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, d := range l.Dependencies {
		m[d.Name] = d.Version
	}
	return m
}

func tarballs(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "charts", "*.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// TestRunResolvesRanges: without charts, the update resolves Chart.yaml's ranges against a
// classic repository and an OCI registry, vendors both and writes Chart.lock.
func TestRunResolvesRanges(t *testing.T) {
	classic, oci := repos(t)
	sc := steptest.NewContext(t, map[string]any{"path": "u"},
		map[string][]byte{"u/Chart.yaml": []byte(chartYAML(classic, oci, "~1.0.0", "2.x"))})
	res, err := run(t, sc)
	if err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	dir := filepath.Join(sc.WorkDir, "u")
	if diff := cmp.Diff(map[string]string{"redis": "1.0.0", "nats": "2.1.0"}, lockVersions(t, dir)); diff != "" {
		t.Errorf("Chart.lock versions mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"nats-2.1.0.tgz", "redis-1.0.0.tgz"}, tarballs(t, dir)); diff != "" {
		t.Errorf("charts/ mismatch (-want +got):\n%s", diff)
	}
	want := "Updated chart dependencies for u\n\n- nats: 2.1.0\n- redis: 1.0.0"
	if got := res.Outputs["commitMessage"]; got != want {
		t.Errorf("commitMessage = %q, want %q", got, want)
	}
}

// TestRunSetsVersions: the configured versions are written into Chart.yaml line by line
// (comments kept), then Chart.lock and charts/ follow; running again changes nothing, and
// Chart.lock stays byte for byte.
func TestRunSetsVersions(t *testing.T) {
	classic, oci := repos(t)
	sc := steptest.NewContext(t, map[string]any{"path": "u"},
		map[string][]byte{"u/Chart.yaml": []byte(chartYAML(classic, oci, "1.0.0", "2.0.0"))})
	if _, err := run(t, sc); err != nil {
		t.Fatalf("first Run() = %v, want nil", err)
	}
	sc.Config = map[string]any{"path": "u", "charts": []any{
		map[string]any{"repository": classic, "name": "redis", "version": "1.1.0"},
		map[string]any{"repository": oci, "name": "nats", "version": "2.1.0"},
	}}
	res, err := run(t, sc)
	if err != nil {
		t.Fatalf("Run(charts) = %v, want nil", err)
	}
	dir := filepath.Join(sc.WorkDir, "u")
	got, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// yaml-update semantics: the quotes around nats's old version go, "2.1.0" is written raw.
	want := strings.Replace(chartYAML(classic, oci, "1.1.0", "2.1.0"), `"2.1.0"`, `2.1.0`, 1)
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Chart.yaml mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"redis": "1.1.0", "nats": "2.1.0"}, lockVersions(t, dir)); diff != "" {
		t.Errorf("Chart.lock versions mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"nats-2.1.0.tgz", "redis-1.1.0.tgz"}, tarballs(t, dir)); diff != "" {
		t.Errorf("charts/ mismatch (-want +got):\n%s", diff)
	}
	wantMsg := "Updated chart dependencies for u\n\n- nats: 2.0.0 -> 2.1.0\n- redis: 1.0.0 -> 1.1.0"
	if got := res.Outputs["commitMessage"]; got != wantMsg {
		t.Errorf("commitMessage = %q, want %q", got, wantMsg)
	}

	lock, err := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if err != nil {
		t.Fatal(err)
	}
	res, err = run(t, sc)
	if err != nil {
		t.Fatalf("Run(charts) again = %v, want nil", err)
	}
	if _, ok := res.Outputs["commitMessage"]; ok {
		t.Errorf("second Run outputs = %v, want no commitMessage", res.Outputs)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "Chart.lock")); string(again) != string(lock) {
		t.Errorf("Chart.lock after an unchanged update = %q, want it byte for byte %q", again, lock)
	}
}

// TestRunRemovedDependency: a dependency dropped from Chart.yaml is reported removed.
func TestRunRemovedDependency(t *testing.T) {
	classic, oci := repos(t)
	sc := steptest.NewContext(t, map[string]any{"path": "u"},
		map[string][]byte{"u/Chart.yaml": []byte(chartYAML(classic, oci, "1.0.0", "2.0.0"))})
	if _, err := run(t, sc); err != nil {
		t.Fatalf("first Run() = %v, want nil", err)
	}
	if err := os.WriteFile(filepath.Join(sc.WorkDir, "u/Chart.yaml"), helmtest.ChartYAML("redis 1.0.0 "+classic), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := run(t, sc)
	if err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	want := "Updated chart dependencies for u\n\n- nats: 2.0.0 -> removed"
	if got := res.Outputs["commitMessage"]; got != want {
		t.Errorf("commitMessage = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"redis-1.0.0.tgz"}, tarballs(t, filepath.Join(sc.WorkDir, "u"))); diff != "" {
		t.Errorf("charts/ mismatch (-want +got):\n%s", diff)
	}
}

// TestRunUpdateFails: an unreachable repository or a version that does not exist is Errored,
// and Chart.yaml is put back as it was.
func TestRunUpdateFails(t *testing.T) {
	classic, oci := repos(t)
	tests := []struct {
		name  string
		chart string
		set   []any
	}{
		{"unreachable classic repository", chartYAML("http://127.0.0.1:1/charts", oci, "1.0.0", "2.0.0"), nil},
		{"unreachable registry", chartYAML(classic, "oci://127.0.0.1:1/charts", "1.0.0", "2.0.0"), nil},
		{"no such version", chartYAML(classic, oci, "1.0.0", "2.0.0"), []any{map[string]any{"repository": classic, "name": "redis", "version": "9.9.9"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]any{"path": "u"}
			if tt.set != nil {
				cfg["charts"] = tt.set
			}
			sc := steptest.NewContext(t, cfg, map[string][]byte{"u/Chart.yaml": []byte(tt.chart)})
			_, err := run(t, sc)
			if o := steps.Classify(steps.Result{}, err); o.Status != "Errored" || o.Reason != helmupdatechart.ReasonUpdateFailed {
				t.Errorf("Run() = %+v, want Errored with reason %s", o, helmupdatechart.ReasonUpdateFailed)
			}
			if b, _ := os.ReadFile(filepath.Join(sc.WorkDir, "u/Chart.yaml")); string(b) != tt.chart {
				t.Errorf("Chart.yaml after a failed update = %q, want it unchanged", b)
			}
			if _, err := os.Stat(filepath.Join(sc.WorkDir, "u/Chart.lock")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Chart.lock after a failed update: Stat = %v, want it absent", err)
			}
		})
	}
}

// TestRunLocalDependency: a file:// dependency inside the workspace is packaged into charts/.
func TestRunLocalDependency(t *testing.T) {
	sc := steptest.NewContext(t, map[string]any{"path": "u"}, map[string][]byte{
		"u/Chart.yaml":   helmtest.ChartYAML("lib 0.1.0 file://../lib"),
		"lib/Chart.yaml": []byte("apiVersion: v2\nname: lib\nversion: 0.1.0\n"),
	})
	res, err := run(t, sc)
	if err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if diff := cmp.Diff([]string{"lib-0.1.0.tgz"}, tarballs(t, filepath.Join(sc.WorkDir, "u"))); diff != "" {
		t.Errorf("charts/ mismatch (-want +got):\n%s", diff)
	}
	if got, want := res.Outputs["commitMessage"], "Updated chart dependencies for u\n\n- lib: 0.1.0"; got != want {
		t.Errorf("commitMessage = %q, want %q", got, want)
	}
}

func TestRunChartSymlinkOut(t *testing.T) {
	outside := t.TempDir()
	sc := steptest.NewContext(t, map[string]any{"path": "u"}, map[string][]byte{"u/Chart.yaml": helmtest.ChartYAML()})
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "u/templates")); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, sc)
	if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
		t.Errorf("Run(chart with a symlink out) = %v, want a terminal ErrPathEscape", err)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	in := helmtest.ChartYAML("redis 1.0.0 https://charts.example.com")
	sc := steptest.NewContext(t, map[string]any{"path": "u", "charts": []any{
		map[string]any{"repository": "https://charts.example.com", "name": "redis", "version": "2.0.0"}}},
		map[string][]byte{"u/Chart.yaml": in})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := helmupdatechart.New().Run(ctx, sc); !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled ctx) = %v, want context.Canceled", err)
	}
	if b, _ := os.ReadFile(filepath.Join(sc.WorkDir, "u/Chart.yaml")); string(b) != string(in) {
		t.Errorf("Chart.yaml after a cancelled Run = %q, want it unchanged", b)
	}
}

func TestInfo(t *testing.T) {
	if got := helmupdatechart.New().Info(); got.Name != "helm-update-chart" || got.Executor != "config" || got.ReadOnly {
		t.Errorf("Info() = %+v, want helm-update-chart on config, not read-only", got)
	}
}

// BenchmarkRun bumps one of three dependencies (two classic, one OCI) and updates them all,
// as a promotion does.
func BenchmarkRun(b *testing.B) {
	r := helmtest.NewRepo(b, helmtest.Chart("redis", "1.0.0"), helmtest.Chart("redis", "1.1.0"), helmtest.Chart("postgres", "15.0.0"))
	oci := helmtest.NewRegistry(b, helmtest.Chart("nats", "2.0.0"))
	in := helmtest.ChartYAML("redis 1.0.0 "+r.URL, "postgres 15.0.0 "+r.URL, "nats 2.0.0 "+oci)
	sc := steptest.NewContext(b, nil, map[string][]byte{"u/Chart.yaml": in})
	step := helmupdatechart.New(helmupdatechart.WithPlainHTTP())
	versions := []string{"1.1.0", "1.0.0"}
	i := 0
	for b.Loop() {
		sc.Config = map[string]any{"path": "u", "charts": []any{map[string]any{"repository": r.URL, "name": "redis", "version": versions[i%2]}}}
		i++
		if _, err := step.Run(b.Context(), sc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRunCredentials: private chart repositories, classic and OCI, are read with the
// project's Helm credentials for their URLs; without them the update fails.
func TestRunCredentials(t *testing.T) {
	private := helmtest.NewRepo(t, helmtest.Chart("redis", "1.0.0"))
	private.RequireBasicAuth("bot", "s3cret")
	oci := helmtest.NewPrivateRegistry(t, "bot", "s3cret", helmtest.Chart("nats", "2.0.0"))
	store := ocitest.Secrets(t, "kargo-demo",
		ocitest.Credential{Type: secret.TypeHelm, RepoURL: private.URL, Username: "bot", Password: "s3cret"},
		ocitest.Credential{Type: secret.TypeHelm, RepoURL: oci, Username: "bot", Password: "s3cret"})
	chart := []byte(chartYAML(private.URL, oci, "1.0.0", "2.0.0"))

	sc := steptest.NewContext(t, map[string]any{"path": "u"}, map[string][]byte{"u/Chart.yaml": chart})
	if _, err := steptest.Run(t, helmupdatechart.New(helmupdatechart.WithPlainHTTP(), helmupdatechart.WithCredentials(store)), sc); err != nil {
		t.Fatalf("Run() with credentials = %v", err)
	}
	if diff := cmp.Diff([]string{"nats-2.0.0.tgz", "redis-1.0.0.tgz"}, tarballs(t, filepath.Join(sc.WorkDir, "u"))); diff != "" {
		t.Errorf("charts/ mismatch (-want +got):\n%s", diff)
	}

	sc = steptest.NewContext(t, map[string]any{"path": "u"}, map[string][]byte{"u/Chart.yaml": chart})
	_, err := run(t, sc)
	if o := steps.Classify(steps.Result{}, err); o.Status != "Errored" || o.Reason != helmupdatechart.ReasonUpdateFailed {
		t.Errorf("Run() without credentials = %+v, want Errored with reason %s", o, helmupdatechart.ReasonUpdateFailed)
	}
}
