package preview

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
)

// Executor names the results of a preview's steps.
const Executor = "preview"

// Options are what Run needs besides the Promotion.
type Options struct {
	// Steps are the registered steps by kind (the executors' registries); kinds missing here
	// are skipped, as are those outside LocalKinds.
	Steps map[string]steps.Step
	// Data backs secret(), configMap() and the metadata functions; zero means none.
	Data promotion.Data
	// Log receives the steps' logs. Default: discarded.
	Log *slog.Logger
}

// Result is what a preview found.
type Result struct {
	// Promotion is the Promotion as the preview left it: each step's status and message.
	Promotion *v1.Promotion
	// Pushes are what its git-push steps would have pushed.
	Pushes []Push
}

// Run runs p in a new scratch directory under dir (os.TempDir when empty), removed before it
// returns, until it finishes or ctx ends; nothing is pushed. It returns an error only when the
// directory cannot be made or ctx ends first.
func Run(ctx context.Context, p *v1.Promotion, dir string, o Options) (*Result, error) {
	work, err := os.MkdirTemp(dir, "dray-preview-")
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", p.Metadata.Name, err)
	}
	defer os.RemoveAll(work)
	root, err := os.OpenRoot(work)
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", p.Metadata.Name, err)
	}
	defer root.Close()
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rec := &Recorder{}
	route := func(uses string) (string, bool) {
		switch uses {
		case "compose-output", "fail":
			return promotion.Scheduler, true
		}
		if s, ok := o.Steps[uses]; ok {
			return s.Info().Executor, true
		}
		return steps.ExecutorFor(uses)
	}
	run := func(ctx context.Context, job *v1.StepJob, _ string) *v1.StepResult {
		started := time.Now()
		step := rec.Step(job.Uses, o.Steps[job.Uses], job.RecordedConfig)
		res := &v1.StepResult{
			Project: job.Project, Promotion: job.Promotion, Step: job.Step, Alias: job.Alias, Uses: job.Uses,
			Attempt: job.Attempt, Workspace: job.Workspace, Executor: Executor, Config: job.RecordedConfig,
		}
		if job.Deadline != nil {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, *job.Deadline)
			defer cancel()
		}
		sc := &steps.Context{
			Project: job.Project, Stage: job.Stage, Promotion: job.Promotion, Alias: job.Alias,
			Attempt: job.Attempt, Config: job.Config, Previous: job.Previous, Ctx: job.Ctx,
			WorkDir: work, Dir: root, Log: log.With("step", job.Alias, "uses", job.Uses),
		}
		var out steps.Result
		err := steps.ValidateConfig(sc, job.Uses)
		if err == nil {
			out, err = call(ctx, step, sc)
		}
		outcome := steps.Classify(out, err)
		res.Outputs = out.Outputs
		res.Status, res.Terminal, res.Reason, res.Message = outcome.Status, outcome.Terminal, outcome.Reason, outcome.Message
		if outcome.RetryAfter > 0 {
			res.RetryAfter = outcome.RetryAfter.String()
		}
		res.StartedAt, res.FinishedAt = started.UTC(), time.Now().UTC()
		return res
	}
	d := &promotion.Driver{Eval: expr.New(), Route: route, Run: run, Data: o.Data}
	done, err := d.Drive(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", p.Metadata.Name, err)
	}
	return &Result{Promotion: done, Pushes: rec.Pushes}, nil
}

// call runs the step; a panic becomes a terminal error, as in the executors.
func call(ctx context.Context, s steps.Step, sc *steps.Context) (res steps.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			sc.Log.Error("step panicked", "panic", p, "stack", string(debug.Stack()))
			res, err = steps.Result{}, steps.Terminal(steps.Reasoned("Panicked", fmt.Errorf("step %q panicked: %v", sc.Alias, p)))
		}
	}()
	return s.Run(ctx, sc)
}
