package gateway

import (
	"fmt"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	executorconfig "github.com/drayhq/dray/services/executor-config"
	executorgit "github.com/drayhq/dray/services/executor-git"
)

// previewSteps builds the steps the promote preview runs when Options.PreviewSteps is unset
// (a dray-gateway started on its own): the git and config executors' steps, built through
// their New as dray run builds them, reaching remotes over transports with the git
// credentials in d.Secrets. Without a clone cache, each preview clones afresh; git-push is
// never run (pkg/preview records its diff instead), so its push lease is never taken.
func previewSteps(transports gitrepo.Transports) func(d service.Deps) ([]*steps.Registry, error) {
	return func(d service.Deps) ([]*steps.Registry, error) {
		git, err := executorgit.New(executorgit.Options{Transports: transports}, d)
		if err != nil {
			return nil, err
		}
		config, err := executorconfig.New(d)
		if err != nil {
			return nil, err
		}
		return []*steps.Registry{git.Steps, config.Steps}, nil
	}
}

// buildPreviewSteps indexes by name the steps opts.PreviewSteps (default previewSteps) builds.
func buildPreviewSteps(opts Options, d service.Deps) (map[string]steps.Step, error) {
	build := opts.PreviewSteps
	if build == nil {
		build = previewSteps(opts.GitTransports)
	}
	regs, err := build(d)
	if err != nil {
		return nil, fmt.Errorf("build the preview's steps: %w", err)
	}
	byName := map[string]steps.Step{}
	for _, reg := range regs {
		for _, name := range reg.Names() {
			byName[name], _ = reg.Lookup(name)
		}
	}
	return byName, nil
}
