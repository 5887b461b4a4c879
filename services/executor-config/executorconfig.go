package executorconfig

import (
	"context"

	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"

	"github.com/drayhq/dray/pkg/steps/copystep"
	"github.com/drayhq/dray/pkg/steps/deletestep"
	"github.com/drayhq/dray/pkg/steps/filewrite"
	"github.com/drayhq/dray/pkg/steps/helmtemplate"
	"github.com/drayhq/dray/pkg/steps/helmupdatechart"
	"github.com/drayhq/dray/pkg/steps/jsonparse"
	"github.com/drayhq/dray/pkg/steps/jsonupdate"
	"github.com/drayhq/dray/pkg/steps/kustomizebuild"
	"github.com/drayhq/dray/pkg/steps/kustomizesetimage"
	"github.com/drayhq/dray/pkg/steps/tarstep"
	"github.com/drayhq/dray/pkg/steps/tomlparse"
	"github.com/drayhq/dray/pkg/steps/tomlupdate"
	"github.com/drayhq/dray/pkg/steps/untar"
	"github.com/drayhq/dray/pkg/steps/yamlmerge"
	"github.com/drayhq/dray/pkg/steps/yamlparse"
	"github.com/drayhq/dray/pkg/steps/yamlupdate"
)

// Name is the executor kind: this service takes the jobs on dray.steps.config.>.
const Name = "config"

// Steps returns the steps this executor runs.
func Steps() (*steps.Registry, error) {
	return steps.NewRegistry(
		yamlupdate.New(), yamlparse.New(), yamlmerge.New(),
		jsonupdate.New(), jsonparse.New(),
		tomlupdate.New(), tomlparse.New(),
		copystep.New(), deletestep.New(), filewrite.New(), tarstep.New(), untar.New(),
		kustomizesetimage.New(nil), kustomizebuild.New(), helmtemplate.New(), helmupdatechart.New(),
	)
}

// Run serves the steps until ctx ends.
func Run(ctx context.Context, opts executor.Options, d service.Deps) error {
	reg, err := Steps()
	if err != nil {
		return err
	}
	return executor.Run(ctx, opts, executor.Deps{Name: Name, Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: reg})
}
