package executorcontainer

import (
	"context"

	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
)

// Name is the executor kind: this service takes the jobs on dray.steps.container.>.
const Name = "container"

// Steps returns the steps this executor runs.
func Steps() (*steps.Registry, error) {
	return steps.NewRegistry()
}

// Run serves the steps until ctx ends.
func Run(ctx context.Context, opts executor.Options, d service.Deps) error {
	reg, err := Steps()
	if err != nil {
		return err
	}
	return executor.Run(ctx, opts, executor.Deps{Name: Name, Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: reg})
}
