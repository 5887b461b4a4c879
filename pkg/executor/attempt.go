package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
)

// Attempt is one attempt of a job's step. The executors' job loop and dray run both run a
// job through one, so a step behaves the same under either: an unknown step errors for good,
// its config is checked against its schema before anything else, the job's deadline is its
// ctx deadline, a panic becomes an Errored result (not retried) with its stack logged, and
// the StepResult has the same fields. Where the workspace comes from, and what happens to it
// afterwards, is the caller's. An Attempt is used by one goroutine.
type Attempt struct {
	job      *v1.StepJob
	step     steps.Step
	findErr  error
	log      *slog.Logger
	executor string
	started  time.Time
	sc       *steps.Context
}

// NewAttempt begins an attempt of job: it finds the job's step with find (a
// steps.Registry's Lookup), and logs to log. executor names who ran it in the result.
func NewAttempt(job *v1.StepJob, find func(uses string) (steps.Step, error), log *slog.Logger, executor string) *Attempt {
	a := &Attempt{job: job, log: log, executor: executor, started: time.Now()}
	a.step, a.findErr = find(job.Uses)
	if a.findErr == nil && a.step == nil {
		a.findErr = fmt.Errorf("%w: %q", steps.ErrUnknownStep, job.Uses)
	}
	return a
}

// Step returns the attempt's step, nil when the job names none.
func (a *Attempt) Step() steps.Step { return a.step }

// Check returns the result that ends the attempt before a workspace is touched, or nil when
// the step may run. A job whose step is unknown errors with reason UnknownStep and no retry:
// running it again cannot help. A config that fails the step's schema fails as
// steps.ValidateConfig says.
func (a *Attempt) Check() *v1.StepResult {
	job := a.job
	if a.findErr != nil {
		o := steps.Outcome{Status: v1.StepErrored, Terminal: true, Reason: "UnknownStep",
			Message: fmt.Sprintf("step %q: %v", job.Alias, a.findErr)}
		return a.result(o, nil, job.Workspace, nil)
	}
	a.sc = &steps.Context{
		Project: job.Project, Stage: job.Stage, Promotion: job.Promotion, Alias: job.Alias,
		Attempt: job.Attempt, Config: job.Config, Previous: job.Previous, Ctx: job.Ctx, Log: a.log,
	}
	if err := steps.ValidateConfig(a.sc, job.Uses); err != nil {
		return a.Result(steps.Classify(steps.Result{}, err), nil, job.Workspace)
	}
	return nil
}

// Run runs the step in the workspace workDir, opened as dir, with the job's deadline as its
// ctx deadline, and returns what the step produced and its outcome. A step that panics
// errors with reason Panicked and no retry (as Kargo does), and its stack is logged. Call
// Check first: Run on an attempt that Check ended panics.
func (a *Attempt) Run(ctx context.Context, workDir string, dir *os.Root) (steps.Result, steps.Outcome) {
	if a.sc == nil {
		panic("executor: Attempt.Run before a successful Check")
	}
	if a.job.Deadline != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, *a.job.Deadline)
		defer cancel()
	}
	a.sc.WorkDir, a.sc.Dir = workDir, dir
	out, err := runStep(ctx, a.log, a.step, a.sc)
	if errors.Is(err, errPanicked) {
		return out, steps.Outcome{Status: v1.StepErrored, Terminal: true, Reason: "Panicked", Message: err.Error()}
	}
	return out, steps.Classify(out, err)
}

// Result is the attempt's StepResult: outcome o with outputs, leaving the workspace at
// revision rev, and the job's recorded config.
func (a *Attempt) Result(o steps.Outcome, outputs map[string]any, rev int) *v1.StepResult {
	return a.result(o, outputs, rev, a.job.RecordedConfig)
}

func (a *Attempt) result(o steps.Outcome, outputs map[string]any, rev int, config map[string]any) *v1.StepResult {
	return stepResult(a.job, a.executor, o, outputs, rev, a.started, config)
}

// errPanicked marks a step that panicked.
var errPanicked = errors.New("step panicked")

// runStep calls the step, turning a panic into an error with its stack logged.
func runStep(ctx context.Context, log *slog.Logger, s steps.Step, sc *steps.Context) (res steps.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("step panicked", "panic", r, "stack", string(debug.Stack()))
			res, err = steps.Result{}, fmt.Errorf("%w: %v", errPanicked, r)
		}
	}()
	return s.Run(ctx, sc)
}

// stepResult is the result of an attempt of job by executor that began at started.
func stepResult(job *v1.StepJob, executor string, o steps.Outcome, outputs map[string]any, rev int, started time.Time, config map[string]any) *v1.StepResult {
	r := &v1.StepResult{
		Project: job.Project, Promotion: job.Promotion, Step: job.Step, Alias: job.Alias, Uses: job.Uses,
		Attempt: job.Attempt, Status: o.Status, Terminal: o.Terminal, Reason: o.Reason, Message: o.Message,
		Outputs: outputs, Workspace: rev, StartedAt: started.UTC(), FinishedAt: time.Now().UTC(),
		Executor: executor, Config: config,
	}
	if o.RetryAfter > 0 {
		r.RetryAfter = o.RetryAfter.String()
	}
	return r
}
