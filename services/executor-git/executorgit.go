package executorgit

import (
	"context"
	"os"
	"path/filepath"

	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/secret"
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

// Steps returns the steps this executor runs, without a clone cache (every clone fetches)
// and without credentials (remotes are reached anonymously).
func Steps() (*steps.Registry, error) { return StepsWith(nil, nil) }

// StepsWith returns the steps this executor runs, with git-clone and git-push sharing cache,
// so that a clone of a commit this process already cloned or pushed needs no fetch, and
// reaching remotes with the git credentials in secrets. A nil cache means no cache; nil
// secrets means anonymous access.
func StepsWith(cache *gitrepo.Cache, secrets *secret.Store) (*steps.Registry, error) {
	cloneOpts := []gitclone.Option{gitclone.WithCache(cache)}
	pushOpts := []gitpush.Option{gitpush.WithCache(cache)}
	if secrets != nil { // a nil *secret.Store in the interface would not read as "none"
		cloneOpts = append(cloneOpts, gitclone.WithCredentials(secrets))
		pushOpts = append(pushOpts, gitpush.WithCredentials(secrets))
	}
	return steps.NewRegistry(gitclone.New(cloneOpts...), gitcommit.New(), gitpush.New(pushOpts...))
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
	reg, err := StepsWith(cache, d.Secrets)
	if err != nil {
		return err
	}
	return executor.Run(ctx, opts, executor.Deps{Name: Name, Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: reg})
}
