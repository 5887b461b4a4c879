package executor_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/workspace"
)

const (
	project  = "demo"
	name     = "test" // the executor kind
	instance = "test/1"
)

// writeFile writes config.content to config.path in the workspace.
type writeFile struct{}

func (writeFile) Info() steps.Info { return steps.Info{Name: "write-file", Executor: name} }

func (writeFile) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	path, _ := sc.Config["path"].(string)
	content, _ := sc.Config["content"].(string)
	if err := sc.Dir.WriteFile(path, []byte(content), 0o644); err != nil {
		return steps.Result{}, err
	}
	return steps.Result{Message: "wrote " + path, Outputs: map[string]any{"path": path, "promotion": sc.Promotion}}, nil
}

// panics panics after touching the workspace.
type panics struct{}

func (panics) Info() steps.Info { return steps.Info{Name: "panic", Executor: name} }

func (panics) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	_ = sc.Dir.WriteFile("half-done", []byte("x"), 0o644)
	var m map[string]int
	m["boom"]++ // assignment to entry in nil map
	return steps.Result{}, nil
}

// waits asks to be polled again.
type waits struct{}

func (waits) Info() steps.Info { return steps.Info{Name: "wait", Executor: name} }

func (waits) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	return steps.Result{}, steps.Wait(30*time.Second, "pull request 7 is open")
}

// env is a running executor on a real NATS server, and a reader of its results.
type env struct {
	b       *bus.Bus
	results jetstream.Consumer
}

func start(t *testing.T, with ...func(*bus.Bus, *executor.Deps)) *env {
	t.Helper()
	b := bustest.Start(t).Connect(t)
	reg, err := steps.NewRegistry(writeFile{}, panics{}, waits{}, leaky{})
	if err != nil {
		t.Fatal(err)
	}
	results, err := b.JS.CreateConsumer(t.Context(), bus.StreamResults, jetstream.ConsumerConfig{
		Durable: "test-results", AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: bus.StepResultSubject(project),
	})
	if err != nil {
		t.Fatalf("CreateConsumer(%s) = %v", bus.StreamResults, err)
	}

	d := executor.Deps{Name: name, Bus: b, Log: slog.New(slog.DiscardHandler), Steps: reg}
	for _, w := range with {
		w(b, &d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- executor.Run(ctx, executor.Options{Workers: 2, AckWait: 5 * time.Second, CacheDir: t.TempDir(), Instance: instance}, d)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("executor.Run() = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("executor.Run() did not return within 10s of its context ending")
		}
	})
	return &env{b: b, results: results}
}

// promote stores a Promotion of one step in the given phase and publishes attempt 1 of the
// step's job.
func (e *env) promote(t *testing.T, promotion, uses, phase string, meta []v1.StepExecutionMetadata, config map[string]any) *v1.StepJob {
	t.Helper()
	e.store(t, promotion, uses, phase, meta, config)
	return e.publish(t, promotion, uses, config)
}

// store stores a Promotion of one step in the given phase.
func (e *env) store(t *testing.T, promotion, uses, phase string, meta []v1.StepExecutionMetadata, config map[string]any) {
	t.Helper()
	step := v1.PromotionStep{Uses: uses, As: "step-1", Config: config}
	p := v1.Promotion{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindPromotion},
		Metadata: v1.ObjectMeta{Name: promotion, Namespace: project},
		Spec:     v1.PromotionSpec{Stage: "dev", Freight: "abc1234", Steps: []v1.PromotionStep{step}},
		Status:   v1.PromotionStatus{Phase: phase, StepExecutionMetadata: meta},
	}
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Promotions.Put(t.Context(), bus.Key(project, promotion), raw); err != nil {
		t.Fatalf("Promotions.Put(%s) = %v", promotion, err)
	}
}

// publish publishes attempt 1 of step 0 of promotion.
func (e *env) publish(t *testing.T, promotion, uses string, config map[string]any) *v1.StepJob {
	t.Helper()
	job := &v1.StepJob{Project: project, Stage: "dev", Promotion: promotion, Step: 0, Alias: "step-1", Uses: uses, Attempt: 1,
		Config: config, RecordedConfig: redacted(config)}
	if err := e.b.Publish(t.Context(), bus.StepSubject(name, project), job.ID(), job); err != nil {
		t.Fatalf("Publish(job %s) = %v", job.ID(), err)
	}
	return job
}

// result waits for the next step result.
func (e *env) result(t *testing.T) *v1.StepResult {
	t.Helper()
	msg, err := e.results.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatalf("no step result within 10s: %v", err)
	}
	var r v1.StepResult
	if err := json.Unmarshal(msg.Data(), &r); err != nil {
		t.Fatalf("decode step result: %v", err)
	}
	if id := msg.Headers().Get(bus.HeaderMsgID); id != r.ID() {
		t.Errorf("result %s = %q, want %q", bus.HeaderMsgID, id, r.ID())
	}
	if err := msg.DoubleAck(t.Context()); err != nil {
		t.Fatal(err)
	}
	return &r
}

// jobsDone waits until every job has been acknowledged: DRAY_STEPS is a work queue.
func (e *env) jobsDone(t *testing.T) {
	t.Helper()
	s, err := e.b.JS.Stream(t.Context(), bus.StreamSteps)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		info, err := s.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still holds %d jobs after 10s, want all acknowledged", bus.StreamSteps, info.State.Msgs)
		}
		<-tick.C
	}
}

// redacted stands in for what the scheduler records: here, content plays a secret.
func redacted(config map[string]any) map[string]any {
	if config == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range config {
		out[k] = v
	}
	if _, ok := out["content"]; ok {
		out["content"] = "[redacted]"
	}
	return out
}

// ignoreTimes leaves out what the test cannot know.
var ignoreTimes = cmpopts.IgnoreFields(v1.StepResult{}, "StartedAt", "FinishedAt", "Message")

func TestRunsSteps(t *testing.T) {
	e := start(t)
	config := map[string]any{"path": "hello.txt", "content": "hi\n"}
	tests := []struct {
		name        string
		uses        string
		config      map[string]any
		want        v1.StepResult
		wantMessage string
		opts        cmp.Option
	}{
		{
			name:   "succeeds and stores the workspace",
			uses:   "write-file",
			config: config,
			want: v1.StepResult{
				// The result records the redacted config, never the one the step ran with.
				Status: v1.StepSucceeded, Workspace: 1, Config: map[string]any{"path": "hello.txt", "content": "[redacted]"},
				Outputs: map[string]any{"path": "hello.txt", "promotion": "p-succeeds-and-stores-the-workspace"},
			},
			wantMessage: "wrote hello.txt",
		},
		{
			name:        "unknown step errors for good",
			uses:        "no-such-step",
			want:        v1.StepResult{Status: v1.StepErrored, Terminal: true, Reason: "UnknownStep"},
			wantMessage: `"no-such-step"`,
		},
		{
			name:        "panic errors for good",
			uses:        "panic",
			want:        v1.StepResult{Status: v1.StepErrored, Terminal: true, Reason: "Panicked"},
			wantMessage: "panicked",
		},
		{
			name:        "wait is running",
			uses:        "wait",
			want:        v1.StepResult{Status: v1.StepRunning, RetryAfter: "30s"},
			wantMessage: "pull request 7 is open",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			promotion := "p-" + strings.ReplaceAll(tt.name, " ", "-")
			job := e.promote(t, promotion, tt.uses, v1.PhaseRunning, nil, tt.config)
			got := e.result(t)
			want := tt.want
			want.Project, want.Promotion, want.Step, want.Alias, want.Uses, want.Attempt = project, promotion, 0, "step-1", tt.uses, 1
			want.Executor = instance
			if diff := cmp.Diff(want, *got, ignoreTimes, tt.opts); diff != "" {
				t.Errorf("result of job %s (-want +got):\n%s", job.ID(), diff)
			}
			if !strings.Contains(got.Message, tt.wantMessage) {
				t.Errorf("result of job %s: Message = %q, want it to contain %q", job.ID(), got.Message, tt.wantMessage)
			}
			if got.StartedAt.IsZero() || got.FinishedAt.Before(got.StartedAt) {
				t.Errorf("result of job %s: StartedAt %v, FinishedAt %v; want a start and a later finish", job.ID(), got.StartedAt, got.FinishedAt)
			}
			e.jobsDone(t)
		})
	}
}

// TestWorkspaceIsShared checks the workspace the executor stored from another machine.
func TestWorkspaceIsShared(t *testing.T) {
	e := start(t)
	e.promote(t, "p", "write-file", v1.PhaseRunning, nil, map[string]any{"path": "hello.txt", "content": "hi\n"})
	if r := e.result(t); r.Status != v1.StepSucceeded || r.Workspace != 1 {
		t.Fatalf("result = %s at workspace %d (%s), want Succeeded at 1", r.Status, r.Workspace, r.Message)
	}
	s, err := workspace.New(e.b.Workspaces, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tr, err := s.Checkout(t.Context(), "p", 1)
	if err != nil {
		t.Fatalf("Checkout(p, 1) = %v", err)
	}
	defer tr.Release()
	entries, err := os.ReadDir(tr.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	if diff := cmp.Diff([]string{"hello.txt"}, names); diff != "" {
		t.Errorf("workspace p/1 (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(tr.Dir + "/hello.txt"); err != nil || string(b) != "hi\n" {
		t.Errorf("ReadFile(hello.txt) = %q, %v; want %q", b, err, "hi\n")
	}

	// A step that failed leaves no revision behind.
	e.promote(t, "q", "panic", v1.PhaseRunning, nil, nil)
	if r := e.result(t); r.Status != v1.StepErrored || r.Workspace != 0 {
		t.Errorf("result of a panic = %s at workspace %d, want Errored at 0", r.Status, r.Workspace)
	}
	if _, err := e.b.Workspaces.GetInfo(t.Context(), workspace.ObjectName("q", 1)); err == nil {
		t.Errorf("GetInfo(q/1) after a panicked step = nil error, want no revision stored")
	}
}

// TestDropsUnwantedJobs: a job the promotion no longer waits for is acknowledged without a
// result.
func TestDropsUnwantedJobs(t *testing.T) {
	e := start(t)
	started := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		phase string
		meta  []v1.StepExecutionMetadata
		// store is false when no Promotion is stored at all (it was deleted).
		store bool
	}{
		{name: "finished promotion", phase: v1.PhaseSucceeded, store: true},
		{name: "aborted promotion", phase: v1.PhaseAborted, store: true},
		{name: "attempt already recorded", phase: v1.PhaseRunning, store: true, meta: []v1.StepExecutionMetadata{{Alias: "step-1", Attempts: 1, Status: v1.StepRunning, StartedAt: &started}}},
		{name: "step finished", phase: v1.PhaseRunning, store: true, meta: []v1.StepExecutionMetadata{{Alias: "step-1", Status: v1.StepSucceeded, StartedAt: &started, FinishedAt: &started}}},
		{name: "deleted promotion", store: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			promotion := "p-" + strings.ReplaceAll(tt.name, " ", "-")
			config := map[string]any{"path": "x", "content": "x"}
			if tt.store {
				e.store(t, promotion, "write-file", tt.phase, tt.meta, config)
			}
			job := e.publish(t, promotion, "write-file", config)
			e.jobsDone(t)
			// The executor publishes a result before it acknowledges the job, so any result
			// would be waiting now.
			info, err := e.results.Info(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if info.NumPending != 0 {
				t.Errorf("job %s for a %s produced %d results, want none", job.ID(), tt.name, info.NumPending)
			}
			if _, err := e.b.Workspaces.GetInfo(t.Context(), workspace.ObjectName(promotion, 1)); err == nil {
				t.Errorf("job %s for a %s stored a workspace, want the step not run", job.ID(), tt.name)
			}
		})
	}
}
