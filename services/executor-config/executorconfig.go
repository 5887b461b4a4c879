package executorconfig

import (
	"context"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/store"

	"github.com/drayhq/dray/pkg/steps/copystep"
	"github.com/drayhq/dray/pkg/steps/deletestep"
	"github.com/drayhq/dray/pkg/steps/filewrite"
	"github.com/drayhq/dray/pkg/steps/hclupdate"
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

// Steps returns the steps this executor runs, without access to Freight (kustomize-set-image
// then needs its images in its config) and reading chart repositories anonymously.
func Steps() (*steps.Registry, error) { return StepsWith(nil, nil) }

// StepsWith returns the steps this executor runs; kustomize-set-image without images takes
// them from the Freight of the promotion, which freight gives (nil: none), and the Helm steps
// read chart repositories with the project's Helm credentials in secrets (nil: anonymously).
func StepsWith(freight kustomizesetimage.FreightSource, secrets *secret.Store) (*steps.Registry, error) {
	return steps.NewRegistry(
		yamlupdate.New(), yamlparse.New(), yamlmerge.New(),
		jsonupdate.New(), jsonparse.New(),
		tomlupdate.New(), tomlparse.New(), hclupdate.New(),
		copystep.New(), deletestep.New(), filewrite.New(), tarstep.New(), untar.New(),
		kustomizesetimage.New(freight), kustomizebuild.New(), helmtemplate.New(helmtemplate.WithCredentials(secrets)), helmupdatechart.New(helmupdatechart.WithCredentials(secrets)),
	)
}

// New builds the config executor: kustomize-set-image reads the Freight of the promotion
// from d.Bus (without a bus, as under dray run, it needs its images in its config), and the
// Helm steps read chart repositories with the Helm credentials in d.Secrets.
func New(d service.Deps) (*executor.Executor, error) {
	var freight kustomizesetimage.FreightSource // a BusFreight without a bus would not read as "none"
	if d.Bus != nil {
		freight = BusFreight{Bus: d.Bus}
	}
	reg, err := StepsWith(freight, d.Secrets)
	if err != nil {
		return nil, err
	}
	return &executor.Executor{Name: Name, Steps: reg}, nil
}

// Run serves the steps until ctx ends.
func Run(ctx context.Context, opts executor.Options, d service.Deps) error {
	x, err := New(d)
	if err != nil {
		return err
	}
	return x.Serve(ctx, opts, d, nil)
}

// BusFreight gives steps the Freight of a promotion as it was recorded when the promotion was
// created.
type BusFreight struct{ Bus *bus.Bus }

// PromotionFreight returns the Freight promoted by the named Promotion.
func (f BusFreight) PromotionFreight(ctx context.Context, project, promotion string) ([]v1.Freight, error) {
	p, err := store.Promotion(ctx, f.Bus, project, promotion)
	if err != nil {
		return nil, err
	}
	if p.Status.Freight != nil {
		return append([]v1.Freight{*p.Status.Freight}, p.Status.Collection...), nil
	}
	fr, err := store.Freight(ctx, f.Bus, project, p.Spec.Freight)
	if err != nil {
		return nil, err
	}
	return []v1.Freight{*fr}, nil
}
