package customstep_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/container"
	"github.com/drayhq/dray/pkg/container/containertest"
	"github.com/drayhq/dray/pkg/imagecache"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/customstep"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

// defs is a fixed set of CustomPromotionSteps, by name, for every project.
type defs map[string]*v1.CustomPromotionStep

func (d defs) CustomStep(_ context.Context, _, name string) (*v1.CustomPromotionStep, error) {
	return d[name], nil
}

type fixture struct {
	reg    *containertest.Registry
	image  string
	runner *customstep.Runner
	defs   defs
	cache  *imagecache.Cache
	rt     *container.Runtime
}

// newFixture pushes the busybox image to an in-process registry and returns a Runner with
// real runc (installed by .ci/run) and a fresh image cache.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt, err := container.NewRuntime(t.Context(), log, container.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("NewRuntime = %v", err)
	}
	f := &fixture{reg: containertest.NewRegistry(t), defs: defs{}}
	f.image = f.reg.Push(t, "tools/busybox", "1.36", containertest.BusyboxImage(t))
	cache, err := imagecache.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.cache, f.rt = cache, rt
	f.runner = customstep.New(f.defs, cache, rt, customstep.WithRunDir(t.TempDir()))
	return f
}

// withRunner replaces f's Runner with one made with opts (and the same definitions, image
// cache and runc), and returns it.
func (f *fixture) withRunner(t testing.TB, opts ...customstep.Option) *customstep.Runner {
	t.Helper()
	f.runner = customstep.New(f.defs, f.cache, f.rt, append([]customstep.Option{customstep.WithRunDir(t.TempDir())}, opts...)...)
	return f.runner
}

func (f *fixture) define(name string, spec v1.CustomPromotionStepSpec) steps.Step {
	if spec.Image == "" {
		spec.Image = f.image
	}
	f.defs[name] = &v1.CustomPromotionStep{Metadata: v1.ObjectMeta{Name: name}, Spec: spec}
	return f.runner.Step(name)
}

func sh(script string) []string { return []string{"sh", "-c", script} }

func TestOutputs(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		spec   v1.CustomPromotionStepSpec
		config map[string]any
		// ctx is the job's ctx; nil leaves the one steptest makes.
		ctx   map[string]any
		files map[string][]byte
		want  map[string]any
		// wantFiles are workspace files the command must have written.
		wantFiles map[string]string
	}{
		{
			name: "key-value on the pipe, with templates",
			spec: v1.CustomPromotionStepSpec{
				Command: sh(`echo "hello=${HELLO}-${{ config.world }}" > $KARGO_OUTPUT
echo 'quoted="kept"' >> $KARGO_OUTPUT
printf 'notes<<EOF\nline 1\nline 2\nEOF\n' >> $KARGO_OUTPUT
echo "where=${{ ctx.project }}/${{ ctx.stage }}/${{ ctx.meta.step.alias }}" >> $KARGO_OUTPUT`),
				Env: []v1.ExpressionVariable{{Name: "HELLO", Value: "${{ config.hello }}"}},
			},
			config: map[string]any{"hello": "Hello", "world": "World"},
			want: map[string]any{
				"hello": "Hello-World", "quoted": `"kept"`, "notes": "line 1\nline 2",
				"where": "kargo-demo/prod/step",
			},
		},
		{
			name: "the promotion's ctx in templates",
			spec: v1.CustomPromotionStepSpec{
				Command: sh(`echo "freight=${{ ctx.targetFreight.name }}/${{ ctx.targetFreight.alias }}/${{ ctx.targetFreight.origin.name }}" > $KARGO_OUTPUT
echo "actor=${{ ctx.meta.promotion.actor }}" >> $KARGO_OUTPUT`),
			},
			ctx: map[string]any{
				"project": "kargo-demo", "stage": "prod", "promotion": "prod.01",
				"targetFreight": map[string]any{"name": "f1a2", "alias": "wise-otter", "origin": map[string]any{"name": "app"}},
				"meta":          map[string]any{"promotion": map[string]any{"actor": "alice"}, "step": map[string]any{"alias": "step"}},
			},
			want: map[string]any{"freight": "f1a2/wise-otter/app", "actor": "alice"},
		},
		{
			name: "JSON on stdout",
			spec: v1.CustomPromotionStepSpec{
				Command: sh(`echo '{"version": "1.2.3", "replicas": 3, "tags": ["a", "b"]}'`),
				Output:  &v1.CustomStepOutput{Source: &v1.CustomStepOutputSource{Type: "Stdout"}, Format: "JSON"},
			},
			want: map[string]any{"version": "1.2.3", "replicas": float64(3), "tags": []any{"a", "b"}},
		},
		{
			name: "YAML file in the workspace, transformed",
			spec: v1.CustomPromotionStepSpec{
				Command: sh(`mkdir -p out && cat in/app.txt > out/copy.txt && printf 'app:\n  version: 2.0.1\n' > out/result.yaml`),
				Output: &v1.CustomStepOutput{
					Source:    &v1.CustomStepOutputSource{Type: "File", Path: "out/result.yaml"},
					Transform: map[string]string{"version": "output.app.version", "major": "split(output.app.version, '.')[0]"},
				},
			},
			files:     map[string][]byte{"in/app.txt": []byte("from the workspace\n")},
			want:      map[string]any{"version": "2.0.1", "major": "2"},
			wantFiles: map[string]string{"out/copy.txt": "from the workspace\n"},
		},
		{
			name: "text on stderr",
			spec: v1.CustomPromotionStepSpec{
				Command: sh(`echo "all of it" >&2`),
				Output:  &v1.CustomStepOutput{Source: &v1.CustomStepOutputSource{Type: "Stderr"}, Format: "Text"},
			},
			want: map[string]any{"output": "all of it\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := f.define(strings.ReplaceAll(tt.name, " ", "-"), tt.spec)
			sc := steptest.NewContext(t, tt.config, tt.files)
			if tt.ctx != nil {
				sc.Ctx = tt.ctx
			}
			res, err := steptest.Run(t, step, sc)
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
			if diff := cmp.Diff(tt.want, res.Outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			for name, want := range tt.wantFiles {
				p := filepath.Join(sc.WorkDir, name)
				b, err := os.ReadFile(p)
				if err != nil || string(b) != want {
					t.Errorf("%s = %q, %v; want %q", name, b, err, want)
				}
				// The container wrote it as 65532; the executor owns the workspace again.
				if fi, err := os.Lstat(p); err == nil && fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Getuid()) {
					t.Errorf("%s is owned by uid %d after the step, want %d", name, fi.Sys().(*syscall.Stat_t).Uid, os.Getuid())
				}
			}
		})
	}
}

func TestFailures(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		uses   string
		spec   *v1.CustomPromotionStepSpec
		config map[string]any
		// want is the classified outcome; message must contain every part.
		want    steps.Outcome
		message []string
	}{
		{
			name: "non-zero exit fails and is retried",
			spec: &v1.CustomPromotionStepSpec{Command: sh(`echo "partial=1" > $KARGO_OUTPUT; echo doing things; echo "no such cluster" >&2; exit 3`)},
			want: steps.Outcome{Status: "Failed", Reason: "NonZeroExit"},
			message: []string{`step "step" (non-zero-exit-fails-and-is-retried): command exited with code 3`,
				"stdout:\ndoing things", "stderr:\nno such cluster"},
		},
		{
			name:    "killed at its timeout",
			spec:    &v1.CustomPromotionStepSpec{Command: sh(`echo started; sleep 600`), DefaultTimeout: "1s"},
			want:    steps.Outcome{Status: "Errored", Reason: "TimedOut"},
			message: []string{"timed out: command killed after 1s", "stdout:\nstarted"},
		},
		{
			name:    "missing config key",
			spec:    &v1.CustomPromotionStepSpec{Command: sh(`echo ${{ config.absent }}`)},
			want:    steps.Outcome{Status: "Failed", Terminal: true, Reason: "InvalidCustomStep"},
			message: []string{"spec.command[2]", "config.absent"},
		},
		{
			name:    "bad output source",
			spec:    &v1.CustomPromotionStepSpec{Command: sh("true"), Output: &v1.CustomStepOutput{Source: &v1.CustomStepOutputSource{Type: "Socket"}}},
			want:    steps.Outcome{Status: "Failed", Terminal: true, Reason: "InvalidCustomStep"},
			message: []string{`spec.output.source.type: "Socket" is not Pipe, Stdout, Stderr or File`},
		},
		{
			name:    "output is not JSON",
			spec:    &v1.CustomPromotionStepSpec{Command: sh("echo not json"), Output: &v1.CustomStepOutput{Source: &v1.CustomStepOutputSource{Type: "Stdout"}, Format: "JSON"}},
			want:    steps.Outcome{Status: "Failed", Terminal: true, Reason: "InvalidOutput"},
			message: []string{"output is not JSON"},
		},
		{
			name:    "no such step kind",
			uses:    "not-defined",
			want:    steps.Outcome{Status: "Failed", Terminal: true, Reason: "UnknownStep"},
			message: []string{`"not-defined" is neither a built-in step nor a CustomPromotionStep`},
		},
		{
			name:    "image that does not exist",
			spec:    &v1.CustomPromotionStepSpec{Image: f.reg.Host + "/tools/missing:1", Command: sh("true")},
			want:    steps.Outcome{Status: "Errored", Reason: "ImagePullFailed"},
			message: []string{"tools/missing:1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uses := tt.uses
			if tt.spec != nil {
				uses = strings.ReplaceAll(tt.name, " ", "-")
				f.define(uses, *tt.spec)
			}
			res, err := steptest.Run(t, f.runner.Step(uses), steptest.NewContext(t, tt.config, nil))
			got := steps.Classify(res, err)
			msg := got.Message
			got.Message = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s\nmessage: %s", diff, msg)
			}
			for _, part := range tt.message {
				if !strings.Contains(msg, part) {
					t.Errorf("message = %q, want it to contain %q", msg, part)
				}
			}
		})
	}
}

func TestNetwork(t *testing.T) {
	f := newFixture(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, `{"approved": true}`)
	}))
	t.Cleanup(srv.Close)
	// busybox's nc, not its wget: Debian's static wget crashes resolving even an IP address.
	fetch := sh(`printf 'GET /approval HTTP/1.0\r\n\r\n' | nc -w 5 ${{ config.host }} ${{ config.port }} > reply && tail -n 1 reply`)
	stdoutJSON := &v1.CustomStepOutput{Source: &v1.CustomStepOutputSource{Type: "Stdout"}, Format: "JSON"}
	host, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	cfg := map[string]any{"host": host, "port": port}

	denied := f.define("fetch-denied", v1.CustomPromotionStepSpec{Command: fetch, Output: stdoutJSON})
	res, err := steptest.Run(t, denied, steptest.NewContext(t, cfg, nil))
	if o := steps.Classify(res, err); o.Status != "Failed" || o.Reason != "NonZeroExit" || !strings.Contains(o.Message, "can't connect") {
		t.Errorf("without the network capability: %+v, want Failed NonZeroExit, nc unable to connect", o)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests from a step without network access", n)
	}

	// Asking for the network is not enough: the operator grants it per project.
	asking := f.define("fetch-allowed", v1.CustomPromotionStepSpec{Command: fetch, Output: stdoutJSON, Capabilities: []string{customstep.CapabilityNetwork}})
	res, err = steptest.Run(t, asking, steptest.NewContext(t, cfg, nil))
	o := steps.Classify(res, err)
	if o.Status != "Failed" || !o.Terminal || o.Reason != customstep.ReasonNetworkNotGranted ||
		!strings.Contains(o.Message, "spec.capabilities") || !strings.Contains(o.Message, "--container-host-network kargo-demo") {
		t.Errorf("network capability not granted: %+v, want terminal %s naming spec.capabilities and --container-host-network", o, customstep.ReasonNetworkNotGranted)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests from a step whose network was not granted", n)
	}

	granted := f.withRunner(t, customstep.WithHostNetwork("other", "kargo-demo")).Step("fetch-allowed")
	res, err = steptest.Run(t, granted, steptest.NewContext(t, cfg, nil))
	if err != nil {
		t.Fatalf("with the network capability granted: Run = %v", err)
	}
	if diff := cmp.Diff(map[string]any{"approved": true}, res.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the server got %d requests, want 1", n)
	}
}

func TestWarmRunUsesCachedRootfs(t *testing.T) {
	f := newFixture(t)
	step := f.define("hello", v1.CustomPromotionStepSpec{Command: sh(`echo "n=${{ config.n }}" > $KARGO_OUTPUT`)})
	var afterFirst int64
	for _, n := range []string{"1", "2", "3"} {
		res, err := steptest.Run(t, step, steptest.NewContext(t, map[string]any{"n": n}, nil))
		if err != nil {
			t.Fatalf("run %s: %v", n, err)
		}
		if want := map[string]any{"n": n}; !cmp.Equal(want, res.Outputs) {
			t.Errorf("run %s outputs = %v, want %v", n, res.Outputs, want)
		}
		if n == "1" {
			if afterFirst = f.reg.BlobGets(); afterFirst == 0 {
				t.Fatal("the first run downloaded no blob")
			}
		}
	}
	if got := f.reg.BlobGets(); got != afterFirst {
		t.Errorf("blob downloads = %d after two warm runs, want still %d", got, afterFirst)
	}
}

// BenchmarkCustomStepWarm measures a custom step from Run to result with the image already
// unpacked: templates, runc create/start/wait/delete, workspace ownership and output parsing.
func BenchmarkCustomStepWarm(b *testing.B) {
	f := newFixture(b)
	step := f.define("bench", v1.CustomPromotionStepSpec{Command: sh(`echo "ok=${{ config.v }}" > $KARGO_OUTPUT`)})
	sc := steptest.NewContext(b, map[string]any{"v": "yes"}, map[string][]byte{"a.txt": []byte("a")})
	if _, err := step.Run(b.Context(), sc); err != nil { // pull and unpack once
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := step.Run(b.Context(), sc)
		if err != nil || res.Outputs["ok"] != "yes" {
			b.Fatalf("Run = %v, %v", res.Outputs, err)
		}
	}
}
