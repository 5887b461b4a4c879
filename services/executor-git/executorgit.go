package executorgit

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/lease"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"

	"github.com/drayhq/dray/pkg/steps/gitclear"
	"github.com/drayhq/dray/pkg/steps/gitclone"
	"github.com/drayhq/dray/pkg/steps/gitcommit"
	"github.com/drayhq/dray/pkg/steps/githubpush"
	"github.com/drayhq/dray/pkg/steps/gitmergepr"
	"github.com/drayhq/dray/pkg/steps/gitopenpr"
	"github.com/drayhq/dray/pkg/steps/gitpush"
	"github.com/drayhq/dray/pkg/steps/gittag"
	"github.com/drayhq/dray/pkg/steps/gitwaitforpr"
)

// Name is the executor kind: this service takes the jobs on dray.steps.git.>.
const Name = "git"

// CacheDir is the directory, under the executor's cache directory, holding the clone cache.
const CacheDir = ".git-clones"

// Options are the git executor's options: the job loop's, and which transports its remotes
// may use.
type Options struct {
	executor.Options
	// Transports are allowed for repository URLs beyond https, http and ssh: "file"
	// (file:// URLs and local paths, which read the host's filesystem) and "git" (git://).
	// Default none.
	Transports gitrepo.Transports
	// Cache is the clone cache git-clone and git-push share. Default CacheDir under
	// Options.CacheDir, or no cache when that is empty too. Not a flag: dray up passes the
	// one in its data directory.
	Cache *gitrepo.Cache
}

// BindFlags registers the options as flags, with --allow-git-transport (default
// $DRAY_ALLOW_GIT_TRANSPORT).
func (o *Options) BindFlags(fs *flag.FlagSet) {
	o.Options.BindFlags(fs)
	o.Transports.BindFlag(fs)
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	return errors.Join(o.Options.Validate())
}

// Steps returns the steps this executor runs, without a clone cache (every clone fetches)
// and without credentials (remotes are reached anonymously).
func Steps() (*steps.Registry, error) { return StepsWith(nil, nil) }

// StepsWith returns the steps this executor runs, with git-clone and git-push sharing cache,
// so that a clone of a commit this process already cloned or pushed needs no fetch, and
// reaching remotes with the git credentials in secrets. A nil cache means no cache; nil
// secrets means anonymous access. Options add more, e.g. WithPushLease.
func StepsWith(cache *gitrepo.Cache, secrets *secret.Store, opts ...Option) (*steps.Registry, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cloneOpts := []gitclone.Option{gitclone.WithCache(cache)}
	pushOpts := []gitpush.Option{gitpush.WithCache(cache)}
	var openOpts []gitopenpr.Option
	var waitOpts []gitwaitforpr.Option
	var mergeOpts []gitmergepr.Option
	ghPushOpts := []githubpush.Option{githubpush.WithTransports(o.transports)}
	if secrets != nil { // a nil *secret.Store in the interface would not read as "none"
		cloneOpts = append(cloneOpts, gitclone.WithCredentials(secrets))
		pushOpts = append(pushOpts, gitpush.WithCredentials(secrets))
		openOpts = append(openOpts, gitopenpr.WithCredentials(secrets))
		waitOpts = append(waitOpts, gitwaitforpr.WithCredentials(secrets))
		mergeOpts = append(mergeOpts, gitmergepr.WithCredentials(secrets))
		ghPushOpts = append(ghPushOpts, githubpush.WithCredentials(secrets))
	}
	if o.lease != nil {
		pushOpts = append(pushOpts, gitpush.WithLease(o.lease))
	}
	cloneOpts = append(cloneOpts, gitclone.WithTransports(o.transports))
	pushOpts = append(pushOpts, gitpush.WithTransports(o.transports))
	return steps.NewRegistry(gitclone.New(cloneOpts...), gitclear.New(), gitcommit.New(), gittag.New(), gitpush.New(pushOpts...),
		gitopenpr.New(openOpts...), gitwaitforpr.New(waitOpts...), gitmergepr.New(mergeOpts...), githubpush.New(ghPushOpts...))
}

// Option adds to the steps StepsWith returns.
type Option func(*options)

type options struct {
	lease      gitrepo.PushLease
	transports gitrepo.Transports
}

// WithTransports lets git-clone and git-push reach remotes over the transports t names
// beyond https, http and ssh. Default none.
func WithTransports(t gitrepo.Transports) Option { return func(o *options) { o.transports = t } }

// WithPushLease makes git-push serialise pushes to each repository branch across every
// replica of the executor with l; see PushLease. Default: serialised within the process only.
func WithPushLease(l gitrepo.PushLease) Option { return func(o *options) { o.lease = l } }

// PushLease returns the lease that serialises pushes to a repository branch across the
// executor's replicas: leases in b's dray-locks bucket, held by instance (default the host
// name and process ID).
func PushLease(b *bus.Bus, instance string) gitrepo.PushLease {
	var opts []lease.Option
	if instance != "" {
		opts = append(opts, lease.WithHolder(instance))
	}
	return lease.New(b.Locks, append(opts, lease.WithTTL(bus.LockTTL))...)
}

// New builds the git executor: its steps share the clone cache (opts.Cache), reach remotes
// with the git credentials in d.Secrets (anonymously without them) over opts.Transports, and
// git-push serialises pushes to a branch across replicas with leases in d.Bus (within this
// process when d has no bus, as under dray run).
func New(opts Options, d service.Deps) (*executor.Executor, error) {
	cache := opts.Cache
	if cache == nil && opts.CacheDir != "" {
		var err error
		if cache, err = gitrepo.NewCache(filepath.Join(opts.CacheDir, CacheDir)); err != nil {
			return nil, err
		}
	}
	with := []Option{WithTransports(opts.Transports)}
	if d.Bus != nil {
		with = append(with, WithPushLease(PushLease(d.Bus, opts.Instance)))
	}
	reg, err := StepsWith(cache, d.Secrets, with...)
	if err != nil {
		return nil, err
	}
	return &executor.Executor{Name: Name, Steps: reg}, nil
}

// Run serves the steps until ctx ends. The clone cache is CacheDir under opts.CacheDir.
func Run(ctx context.Context, opts Options, d service.Deps) error {
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(os.TempDir(), "dray-workspaces", Name) // executor.Run's default
	}
	x, err := New(opts, d)
	if err != nil {
		return err
	}
	return x.Serve(ctx, opts.Options, d, nil)
}
