package executor

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/workspace"
)

// Options tune an executor.
type Options struct {
	// Workers is how many steps run at once. Default 4.
	Workers int
	// AckWait is how long a job may go without a heartbeat before another replica takes it:
	// a crashed executor's jobs run again this soon. A running step sends a heartbeat every
	// AckWait/3, so it may run much longer. Default bus.DefaultAckWait.
	AckWait time.Duration
	// MaxDeliver bounds how often one job is delivered before its step errors. Default 10.
	MaxDeliver int
	// CacheDir keeps local workspace copies. Default a directory under the system temp dir.
	CacheDir string
	// Instance names this replica in results. Default the host name and process ID.
	Instance string
}

// BindFlags registers the options as flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Workers, "workers", 4, "steps run at once")
	fs.DurationVar(&o.AckWait, "ack-wait", bus.DefaultAckWait, "time a job may go without a heartbeat before it is redelivered")
	fs.IntVar(&o.MaxDeliver, "max-deliver", 10, "deliveries of one job before its step errors")
	fs.StringVar(&o.CacheDir, "cache-dir", os.Getenv("DRAY_CACHE_DIR"), "local workspace cache (default: under the temp dir)")
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	var errs []error
	if o.Workers < 0 {
		errs = append(errs, fmt.Errorf("--workers must not be negative"))
	}
	if o.MaxDeliver < 0 {
		errs = append(errs, fmt.Errorf("--max-deliver must not be negative"))
	}
	return errors.Join(errs...)
}

// Deps are what an executor runs with.
type Deps struct {
	// Name is the executor kind, e.g. git; it selects the jobs on dray.steps.<name>.>.
	Name    string
	Bus     *bus.Bus
	Log     *slog.Logger
	Metrics prometheus.Registerer
	Steps   *steps.Registry
	// Workspaces is the local workspace cache; executors in one process may share it. Default
	// a new Store under Options.CacheDir, encrypting with Secrets' workspace key when there
	// are Secrets.
	Workspaces *workspace.Store
	// Secrets opens the jobs whose config read secrets (the scheduler seals them with the
	// same secrets key), and gives the key of workspace revisions. Default nil: such a job
	// errors, saying the executor needs the key, and revisions are stored in clear.
	Secrets *secret.Store
}

type executor struct {
	Deps
	opts    Options
	metrics *metrics
	running *running
}

// Run consumes jobs for d.Name until ctx ends.
func Run(ctx context.Context, opts Options, d Deps) error {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.MaxDeliver <= 0 {
		opts.MaxDeliver = 10
	}
	if opts.Instance == "" {
		host, _ := os.Hostname()
		opts.Instance = fmt.Sprintf("%s/%s-%d", d.Name, host, os.Getpid())
	}
	if d.Workspaces == nil {
		dir := opts.CacheDir
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "dray-workspaces", d.Name)
		}
		// With the secrets key, revisions are encrypted at rest (README "Workspaces").
		ws, err := workspace.New(d.Bus.Workspaces, dir, workspace.WithKey(d.Secrets.WorkspaceKey()))
		if err != nil {
			return err
		}
		d.Workspaces = ws
	}
	m, err := newMetrics(d.Metrics)
	if err != nil {
		return err
	}
	m.running.WithLabelValues(d.Name) // 0 until a step runs
	e := &executor{Deps: d, opts: opts, metrics: m, running: newRunning()}
	sub, err := d.Bus.Conn.Subscribe(bus.EventSubject("*", v1.TypePromotionAborted), e.running.onAborted)
	if err != nil {
		return fmt.Errorf("subscribe to aborts: %w", err)
	}
	defer sub.Unsubscribe()
	forget := newForgetter(d.Workspaces)
	ended, err := d.Bus.Conn.Subscribe(bus.EventSubject("*", v1.EventTypePrefix+"promotion.*"), forget.onEvent)
	if err != nil {
		return fmt.Errorf("subscribe to promotion ends: %w", err)
	}
	defer ended.Unsubscribe()
	go forget.run(ctx)
	d.Log.Info("executor ready", "executor", d.Name, "steps", d.Steps.Names(), "workers", opts.Workers)
	// Past opts.MaxDeliver a job's step errors (TooManyDeliveries); one more delivery is
	// left for publishing that result, and then the job is dead-lettered.
	return d.Bus.Consume(ctx, d.Log, bus.ConsumerOptions{
		Stream:  bus.StreamSteps,
		Durable: "executor-" + d.Name,
		Filters: []string{"dray.steps." + d.Name + ".>"},
		Workers: opts.Workers,
		AckWait: opts.AckWait,
		// One more delivery than TooManyDeliveries allows, to publish that result.
		MaxDeliver: opts.MaxDeliver + 2,
		Metrics:    d.Metrics,
		// A job waiting in a local buffer behind long steps would be delivered again every
		// AckWait, and count towards TooManyDeliveries.
		NoBuffer: true,
	}, e.handle)
}

// handle runs one job. It returns nil (ack) only after the result is stored by JetStream. A
// job that does not decode, fails its checks or names a Promotion that does not exist is
// poisoned: no executor could ever run it.
func (e *executor) handle(ctx context.Context, msg jetstream.Msg) error {
	var job v1.StepJob
	if err := json.Unmarshal(msg.Data(), &job); err != nil {
		return bus.Poison(bus.ReasonUndecodable, fmt.Errorf("decode job on %s: %w", msg.Subject(), err))
	}
	if err := checkJob(&job, msg.Subject()); err != nil {
		return bus.Poison(bus.ReasonInvalid, err)
	}
	log := e.Log.With("project", job.Project, "stage", job.Stage, "promotion", job.Promotion,
		"step", job.Alias, "uses", job.Uses, "attempt", job.Attempt)

	if job.NotBefore != nil {
		if wait := time.Until(*job.NotBefore); wait > 0 {
			_ = msg.NakWithDelay(wait)
			return bus.ErrHandled
		}
	}
	if wanted, err := e.wanted(ctx, &job); errors.Is(err, errUnknownPromotion) {
		return bus.Poison(bus.ReasonNotFound, err)
	} else if err != nil {
		return err
	} else if !wanted {
		log.Debug("job no longer wanted")
		return nil
	}
	md, _ := msg.Metadata()
	if md != nil && md.NumDelivered > uint64(e.opts.MaxDeliver) {
		res := e.result(&job, steps.Outcome{Status: v1.StepErrored, Terminal: true, Reason: "TooManyDeliveries",
			Message: fmt.Sprintf("job was delivered %d times without finishing; the executor may be crashing on it", md.NumDelivered)},
			nil, job.Workspace, time.Now(), nil)
		return e.publish(ctx, res)
	}

	red, log, failed := e.unseal(&job, log)
	if failed != nil {
		log.Error("cannot open the job's sealed config", "message", failed.Message)
		return e.publish(ctx, failed)
	}
	sctx, log, traced := e.traceStep(ctx, log, &job)
	res := e.run(sctx, log, &job) // bus.Consume sends the heartbeats that keep a long step
	traced(res)
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: leave the job for redelivery
	}
	return e.publish(ctx, red.Result(res))
}

// errUnknownPromotion is wanted's answer for a job whose Promotion does not exist.
var errUnknownPromotion = errors.New("no such promotion")

// wanted reports whether the promotion still waits for this attempt: it has not finished and
// the attempt is not recorded yet. It reads from the bucket's leader, since a lagging replica
// may not hold the Promotion yet, and the job would be dropped.
func (e *executor) wanted(ctx context.Context, job *v1.StepJob) (bool, error) {
	// Only the progress is decoded: the rest of a Promotion (its steps, outputs, Freight) is
	// most of its size and none of this question.
	var p struct {
		Status struct {
			Phase                 string `json:"phase"`
			StepExecutionMetadata []struct {
				Attempts   int        `json:"attempts"`
				FinishedAt *time.Time `json:"finishedAt"`
			} `json:"stepExecutionMetadata"`
		} `json:"status"`
	}
	if _, err := e.Bus.GetLatestJSON(ctx, e.Bus.Promotions, bus.Key(job.Project, job.Promotion), &p); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return false, fmt.Errorf("%w: job for promotion %q in project %q", errUnknownPromotion, job.Promotion, job.Project)
		}
		return false, err
	}
	if (&v1.PromotionStatus{Phase: p.Status.Phase}).Finished() {
		return false, nil
	}
	if job.Step < len(p.Status.StepExecutionMetadata) {
		m := p.Status.StepExecutionMetadata[job.Step]
		if m.FinishedAt != nil || m.Attempts >= job.Attempt {
			return false, nil
		}
	}
	return true, nil
}

// run executes the step against the workspace and returns its result.
func (e *executor) run(ctx context.Context, log *slog.Logger, job *v1.StepJob) *v1.StepResult {
	defer e.metrics.start(e.Name)()
	started := time.Now()
	a := NewAttempt(job, e.Steps.Lookup, log, e.opts.Instance)
	// A config that fails the step's schema fails the step before the workspace is touched.
	if res := a.Check(); res != nil {
		return res
	}
	tree, err := e.Workspaces.Checkout(ctx, job.Promotion, job.Workspace)
	checkedOut := time.Now()
	if err != nil {
		o := steps.Classify(steps.Result{}, fmt.Errorf("check out workspace: %w", err))
		if errors.Is(err, workspace.ErrUnreadable) { // another attempt reads the same bytes
			o.Terminal, o.Reason = true, "WorkspaceUnreadable"
		}
		return a.result(o, nil, job.Workspace, nil)
	}
	defer tree.Release()

	sctx, cancelStep := context.WithCancelCause(ctx)
	defer cancelStep(nil)
	defer e.running.add(job.Promotion, cancelStep)()
	root, err := os.OpenRoot(tree.Dir)
	if err != nil {
		tree.Discard()
		return a.result(steps.Classify(steps.Result{}, fmt.Errorf("open workspace: %w", err)), nil, job.Workspace, nil)
	}
	defer root.Close()
	out, outcome := a.Run(sctx, tree.Dir, root)
	ran := time.Now()
	rev := job.Workspace
	switch {
	case ctx.Err() != nil:
		tree.Discard()
	case outcome.Status == v1.StepSucceeded || outcome.Status == v1.StepSkipped || outcome.Status == v1.StepRunning:
		if !a.Step().Info().ReadOnly {
			if rev, err = tree.Commit(ctx); err != nil {
				outcome = steps.Classify(steps.Result{}, err)
				rev = job.Workspace
			}
		}
	default:
		tree.Discard() // a failed step may have left half its work behind
	}
	e.metrics.observe(e.Name, job.Uses, outcome.Status, time.Since(started))
	log.Info("step attempt done", "status", outcome.Status, "duration", time.Since(started),
		"checkout", checkedOut.Sub(started), "run", ran.Sub(checkedOut), "store", time.Since(ran), "message", outcome.Message)
	return a.Result(outcome, out.Outputs, rev)
}

func (e *executor) result(job *v1.StepJob, o steps.Outcome, outputs map[string]any, rev int, started time.Time, config map[string]any) *v1.StepResult {
	return stepResult(job, e.opts.Instance, o, outputs, rev, started, config)
}

func (e *executor) publish(ctx context.Context, r *v1.StepResult) error {
	return e.Bus.Publish(ctx, bus.StepResultSubject(r.Project), r.ID(), r)
}
