package steps

import (
	"context"
	"log/slog"
	"os"
	"time"
)

// Step is one kind of promotion step, e.g. git-push. Implementations must tolerate being run
// again for the same job (a job can be redelivered after a crash) and must reach files only
// through Context.Dir or Context.Path.
type Step interface {
	// Info names the step and declares its defaults.
	Info() Info
	// Run performs one attempt. Its outcome follows from what it returns: nil → Succeeded (or
	// the Status set in Result); Terminal(err) → Failed, not retried; Wait(…) → Running, polled
	// again later; any other error → Errored, retried per the step's retry policy.
	Run(ctx context.Context, sc *Context) (Result, error)
}

// Info is a step's metadata (Kargo's step metadata).
type Info struct {
	// Name is the value of uses, e.g. git-push.
	Name string
	// Executor is the executor service that runs the step: git, config, argocd, http,
	// container, or scheduler for steps with no I/O outside the control plane.
	Executor string
	// ReadOnly steps never change the workspace; the executor stores no new revision.
	ReadOnly bool
	// DefaultTimeout is retry.timeout when the step sets none; 0 means unbounded. For a
	// built-in step it reaches pkg/promotion through executors_gen.go (DefaultTimeout).
	DefaultTimeout time.Duration
	// DefaultErrorThreshold is retry.errorThreshold when the step sets none; 0 means 1.
	DefaultErrorThreshold int
}

// Context is what a step runs with. A Context belongs to one attempt.
type Context struct {
	Project   string
	Stage     string
	Promotion string
	Alias     string
	Attempt   int
	// Config is the step's config, expressions already evaluated. Decode it with Decode.
	Config map[string]any
	// Previous is the step's own output from an earlier attempt, or nil.
	Previous map[string]any
	// Ctx is the ctx the step's config expressions saw (project, stage, promotion,
	// targetFreight, meta), for steps that render templates of their own; nil when the job
	// did not carry it.
	Ctx map[string]any
	// WorkDir is the absolute path of the promotion workspace.
	WorkDir string
	// Dir is the workspace opened as an os.Root: paths cannot escape it.
	Dir *os.Root
	// Log is narrowed to the promotion, step and attempt.
	Log *slog.Logger

	// validated is the step whose schema Config passed in ValidateConfig.
	validated string
}

// Path resolves rel inside the workspace and returns an absolute path, for libraries that
// want one (go-git, for example). rel must be local: an absolute path, or one that climbs out
// with "..", or one that resolves through a symlink to outside the workspace, is rejected with
// ErrPathEscape.
func (sc *Context) Path(rel string) (string, error) {
	return SecurePath(sc.WorkDir, rel)
}

// Result is what a step produced.
type Result struct {
	// Status is StatusSucceeded when empty; a step may say StatusSkipped (nothing to do).
	Status string
	// Outputs become outputs.<alias> for later steps.
	Outputs map[string]any
	// Message is a short human summary.
	Message string
}

// Statuses a step may set in Result.Status.
const (
	StatusSucceeded = "Succeeded"
	StatusSkipped   = "Skipped"
)
