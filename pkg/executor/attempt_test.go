package executor_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
)

// deadline outputs whether its ctx has a deadline.
type deadline struct{}

func (deadline) Info() steps.Info { return steps.Info{Name: "deadline", Executor: name} }

func (deadline) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	_, ok := ctx.Deadline()
	return steps.Result{Outputs: map[string]any{"deadline": ok}}, nil
}

// attempt runs one attempt of job in a fresh directory, as dray run does, logging to log.
func attempt(t *testing.T, job *v1.StepJob, log *slog.Logger) *v1.StepResult {
	t.Helper()
	reg, err := steps.NewRegistry(writeFile{}, panics{}, deadline{})
	if err != nil {
		t.Fatal(err)
	}
	a := executor.NewAttempt(job, reg.Lookup, log, "here")
	if res := a.Check(); res != nil {
		return res
	}
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	out, o := a.Run(t.Context(), dir, root)
	return a.Result(o, out.Outputs, job.Workspace)
}

// TestAttempt: one attempt outside an executor's job loop gives the result the executors
// publish (see TestRunsSteps).
func TestAttempt(t *testing.T) {
	soon := time.Now().Add(time.Hour)
	tests := []struct {
		name string
		job  v1.StepJob
		want v1.StepResult
	}{
		{
			name: "succeeds with outputs and the recorded config",
			job: v1.StepJob{Uses: "write-file", Workspace: 3, Config: map[string]any{"path": "a", "content": "x"},
				RecordedConfig: map[string]any{"path": "a", "content": "[redacted]"}},
			want: v1.StepResult{Status: v1.StepSucceeded, Workspace: 3, Outputs: map[string]any{"path": "a", "promotion": "p"},
				Config: map[string]any{"path": "a", "content": "[redacted]"}},
		},
		{
			name: "unknown step errors for good",
			job:  v1.StepJob{Uses: "no-such-step"},
			want: v1.StepResult{Status: v1.StepErrored, Terminal: true, Reason: "UnknownStep"},
		},
		{
			name: "panic errors for good",
			job:  v1.StepJob{Uses: "panic"},
			want: v1.StepResult{Status: v1.StepErrored, Terminal: true, Reason: "Panicked"},
		},
		{
			name: "the job's deadline is the step's",
			job:  v1.StepJob{Uses: "deadline", Deadline: &soon},
			want: v1.StepResult{Status: v1.StepSucceeded, Outputs: map[string]any{"deadline": true}},
		},
		{
			name: "no deadline without one in the job",
			job:  v1.StepJob{Uses: "deadline"},
			want: v1.StepResult{Status: v1.StepSucceeded, Outputs: map[string]any{"deadline": false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := tt.job
			job.Project, job.Promotion, job.Alias, job.Attempt = project, "p", "step-1", 1
			got := attempt(t, &job, slog.New(slog.DiscardHandler))
			want := tt.want
			want.Project, want.Promotion, want.Alias, want.Uses, want.Attempt, want.Executor = project, "p", "step-1", job.Uses, 1, "here"
			if diff := cmp.Diff(want, *got, ignoreTimes); diff != "" {
				t.Errorf("result of %s (-want +got):\n%s", job.Uses, diff)
			}
		})
	}
}

// TestAttemptPanicErrorsThePromotion: a panicking step ends its Promotion Errored, not
// Failed, and its stack is in the log. dray run pins the same in cmd/dray's
// TestRunPanicErrors.
func TestAttemptPanicErrorsThePromotion(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	p := &v1.Promotion{
		Metadata: v1.ObjectMeta{Name: "p", Namespace: project},
		Spec:     v1.PromotionSpec{Stage: "dev", Steps: []v1.PromotionStep{{Uses: "panic", As: "boom"}}},
	}
	d := &promotion.Driver{Eval: expr.New(), Route: func(string) (string, bool) { return name, true },
		Run: func(_ context.Context, job *v1.StepJob, _ string) *v1.StepResult { return attempt(t, job, log) }}

	p, err := d.Drive(t.Context(), p)

	if err != nil {
		t.Fatalf("Drive() = %v", err)
	}
	if p.Status.Phase != v1.PhaseErrored {
		t.Errorf("Phase after a panicking step = %s (%s), want %s", p.Status.Phase, p.Status.Message, v1.PhaseErrored)
	}
	if !strings.Contains(logs.String(), "step panicked") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("log = %q, want the panic and its stack", logs.String())
	}
}

// lockedBuffer is a log sink that the executor's goroutines and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPanicStackLogged: under the executors' job loop, a panicking step's result is
// Errored with reason Panicked, and its stack is in the executor's log.
func TestPanicStackLogged(t *testing.T) {
	var logs lockedBuffer
	e := start(t, func(_ *bus.Bus, d *executor.Deps) { d.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	e.promote(t, "p-panic-logged", "panic", v1.PhaseRunning, nil, nil)
	r := e.result(t)
	if r.Status != v1.StepErrored || !r.Terminal || r.Reason != "Panicked" {
		t.Errorf("result of a panic = %s (terminal %t, reason %s), want Errored, terminal, Panicked", r.Status, r.Terminal, r.Reason)
	}
	if log := logs.String(); !strings.Contains(log, "step panicked") || !strings.Contains(log, "goroutine") {
		t.Errorf("executor log = %q, want the panic and its stack", log)
	}
}
