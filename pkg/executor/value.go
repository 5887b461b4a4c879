package executor

import (
	"context"

	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/workspace"
)

// Executor is one executor: its kind and the steps it runs, built once with what they share
// (a clone cache, credentials, clients). Each executor service's New returns one, and its
// own main, dray up and dray run all build it with that New, so the same steps run the same
// way everywhere.
type Executor struct {
	// Name is the executor kind, e.g. git: it takes the jobs on dray.steps.<Name>.>.
	Name string
	// Steps are the steps it runs.
	Steps *steps.Registry
}

// Serve consumes x's jobs with d's bus, logger, metrics and secrets until ctx ends, as Run
// does. ws is the local workspace cache, which executors in one process may share; nil
// makes one under opts.CacheDir.
func (x *Executor) Serve(ctx context.Context, opts Options, d service.Deps, ws *workspace.Store) error {
	return Run(ctx, opts, Deps{Name: x.Name, Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: x.Steps, Workspaces: ws, Secrets: d.Secrets})
}
