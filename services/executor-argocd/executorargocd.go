package executorargocd

import (
	"context"
	"errors"

	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/argocdupdate"
	"github.com/drayhq/dray/pkg/steps/argocdwait"
)

// Name is the executor kind: this service takes the jobs on dray.steps.argocd.>.
const Name = "argocd"

// Steps returns the steps this executor runs, reaching Argo CD with the configuration in the
// environment (DRAY_ARGOCD_*) and no project Secrets.
func Steps() (*steps.Registry, error) {
	opts := OptionsFromEnv()
	cfg, err := opts.ArgoCD()
	if err != nil {
		return nil, err
	}
	return StepsWith(argocd.NewProvider(cfg, nil))
}

// StepsWith returns the steps this executor runs, reaching Argo CD through clients.
func StepsWith(clients *argocd.Provider) (*steps.Registry, error) {
	return steps.NewRegistry(argocdupdate.New(clients), argocdwait.New(clients))
}

// Provider returns the Argo CD clients of the service: the configured server, overridden per
// project by its argocd Secret when d has a secret store.
func Provider(opts Options, d service.Deps) (*argocd.Provider, error) {
	cfg, err := opts.ArgoCD()
	if err != nil {
		return nil, err
	}
	if d.Secrets == nil {
		return argocd.NewProvider(cfg, nil), nil
	}
	return argocd.NewProvider(cfg, d.Secrets), nil
}

// New builds the argocd executor: its steps reach Argo CD through Provider(opts, d).
func New(opts Options, d service.Deps) (*executor.Executor, error) {
	clients, err := Provider(opts, d)
	if err != nil {
		return nil, err
	}
	return newWith(clients)
}

func newWith(clients *argocd.Provider) (*executor.Executor, error) {
	reg, err := StepsWith(clients)
	if err != nil {
		return nil, err
	}
	return &executor.Executor{Name: Name, Steps: reg}, nil
}

// Run serves the steps and evaluates Stage health until ctx ends.
func Run(ctx context.Context, opts Options, d service.Deps) error {
	clients, err := Provider(opts, d)
	if err != nil {
		return err
	}
	x, err := newWith(clients)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- RunHealth(ctx, opts, d, clients) }()
	go func() {
		errs <- x.Serve(ctx, opts.Executor, d, nil)
	}()
	err = <-errs
	cancel()
	return errors.Join(err, <-errs)
}
