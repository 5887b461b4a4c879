package executorgit

import (
	"context"
	"os"
	"path/filepath"

	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"

	"github.com/drayhq/dray/pkg/steps/gitclone"
	"github.com/drayhq/dray/pkg/steps/gitcommit"
	"github.com/drayhq/dray/pkg/steps/gitpush"
)

// Name is the executor kind: this service takes the jobs on dray.steps.git.>.
const Name = "git"

// CacheDir is the directory, under the executor's cache directory, holding the clone cache.
const CacheDir = ".git-clones"

// Steps returns the steps this executor runs, without a clone cache: every clone fetches.
func Steps() (*steps.Registry, error) { return StepsWithCache(nil) }

// StepsWithCache returns the steps this executor runs, with git-clone and git-push sharing
// cache, so that a clone of a commit this process already cloned or pushed needs no fetch;
// nil means no cache.
func StepsWithCache(cache *gitrepo.Cache) (*steps.Registry, error) {
	return steps.NewRegistry(
		gitclone.New(gitclone.WithCache(cache)),
		gitcommit.New(),
		gitpush.New(gitpush.WithCache(cache)),
	)
}

// Run serves the steps until ctx ends. The clone cache is CacheDir under opts.CacheDir.
func Run(ctx context.Context, opts executor.Options, d service.Deps) error {
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(os.TempDir(), "dray-workspaces", Name) // executor.Run's default
	}
	cache, err := gitrepo.NewCache(filepath.Join(opts.CacheDir, CacheDir))
	if err != nil {
		return err
	}
	reg, err := StepsWithCache(cache)
	if err != nil {
		return err
	}
	return executor.Run(ctx, opts, executor.Deps{Name: Name, Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: reg})
}
