package gitpush

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
)

// GeneratedBranchPrefix starts the branch generateTargetBranch pushes to; the promotion's
// name follows. (Kargo's name, kept for compatibility.)
const GeneratedBranchPrefix = "kargo/promotion/"

// Step is the git-push step. It is safe for concurrent use.
type Step struct {
	creds   gitrepo.CredentialStore
	backoff func(n int) time.Duration
	cache   *gitrepo.Cache
	lease   gitrepo.PushLease
	// transports are allowed beyond https, http and ssh.
	transports gitrepo.Transports
}

var _ steps.Step = (*Step)(nil)

// Option configures the step.
type Option func(*Step)

// WithCredentials makes the step reach each remote with the git credentials that store holds
// for the promotion's project and the remote's URL (see gitrepo.ProjectAuth). Default none:
// remotes are reached anonymously.
func WithCredentials(store gitrepo.CredentialStore) Option {
	return func(s *Step) { s.creds = store }
}

// WithBackoff sets the delay before integrate-and-push round n+1 (n ≥ 1), e.g. to make tests
// fast. Default gitrepo.DefaultBackoff: 1 s ×1.5 per round, jitter 0.5, cap 30 s.
func WithBackoff(f func(n int) time.Duration) Option { return func(s *Step) { s.backoff = f } }

// WithCache adds every commit pushed to a branch to c, so that the next git-clone of the
// branch with the same cache (gitclone.WithCache) needs no fetch while nobody else pushes.
// Default none.
func WithCache(c *gitrepo.Cache) Option { return func(s *Step) { s.cache = c } }

// WithLease serialises branch pushes across processes (the git executor's replicas) with
// l, e.g. a *lease.Leases on the dray-locks bucket: while one pushes to a repository branch,
// the others wait, and one found behind integrates the remote branch and pushes again under
// the same lease, so that pushes do not race and back off. Default none: pushes are
// serialised within the process only.
func WithLease(l gitrepo.PushLease) Option { return func(s *Step) { s.lease = l } }

// WithTransports allows the working tree's remote to use the transports t names beyond
// https, http and ssh, e.g. gitrepo.TransportFile. Default none: a remote that is a file://
// URL or a local path (an earlier step may have rewritten .git/config) fails the step,
// reason TransportNotAllowed.
func WithTransports(t gitrepo.Transports) Option { return func(s *Step) { s.transports = t } }

// New returns the git-push step. Without WithCredentials it reaches remotes anonymously.
func New(opts ...Option) *Step {
	s := &Step{backoff: gitrepo.DefaultBackoff}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Info names the step and its executor.
func (*Step) Info() steps.Info { return steps.Info{Name: "git-push", Executor: "git"} }

// Run pushes and outputs commit, branch and, when the provider is known, commitURL. A bad
// config, a path outside the workspace or not holding a working tree, a detached HEAD without a
// target branch and a merge conflict are terminal; other errors are retryable.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, "git-push")
	if err != nil {
		return steps.Result{}, err
	}
	dir, err := sc.Path(cfg.Path)
	if err != nil {
		return steps.Result{}, steps.Terminal(fmt.Errorf("config.path: %w", err))
	}
	repo, err := gitrepo.Open(dir, gitrepo.ProjectAuth(s.creds, sc.Project), gitrepo.WithTransports(s.transports))
	if err != nil {
		if errors.Is(err, gitrepo.ErrNotRepository) {
			return steps.Result{}, steps.Terminal(steps.Reasoned("NotARepository", fmt.Errorf("config.path %q: %w", cfg.Path, err)))
		}
		return steps.Result{}, err
	}
	current, err := repo.Branch()
	if err != nil {
		return steps.Result{}, err
	}
	if cfg.Tag != "" {
		if err := repo.PushTag(ctx, cfg.Tag); err != nil {
			if errors.Is(err, gitrepo.ErrTransportNotAllowed) {
				return steps.Result{}, pushError(err)
			}
			return steps.Result{}, steps.Reasoned("PushFailed", err)
		}
		head, err := repo.Head()
		if err != nil {
			return steps.Result{}, err
		}
		return result(repo.URL(), cfg.Provider, head, current), nil
	}

	branch, force := cfg.TargetBranch, cfg.Force
	if cfg.GenerateTargetBranch {
		if sc.Promotion == "" {
			return steps.Result{}, steps.Terminal(errors.New("generateTargetBranch: the promotion has no name"))
		}
		branch, force = GeneratedBranchPrefix+sc.Promotion, true
	}
	if branch == "" {
		if current == "" {
			return steps.Result{}, steps.Terminal(steps.Reasoned("DetachedHead",
				fmt.Errorf("config.targetBranch: %s has no branch checked out (%w); set targetBranch", cfg.Path, gitrepo.ErrDetachedHead)))
		}
		branch = current
	}
	commit, err := repo.Push(ctx, gitrepo.PushOptions{Branch: branch, Force: force, MaxAttempts: cfg.MaxAttempts, Backoff: s.backoff, Cache: s.cache, Lease: s.lease})
	if err != nil {
		return steps.Result{}, pushError(err)
	}
	return result(repo.URL(), cfg.Provider, commit, branch), nil
}

func result(repoURL, provider, commit, branch string) steps.Result {
	out := map[string]any{"commit": commit, "branch": branch}
	if u := commitURL(repoURL, provider, commit); u != "" {
		out["commitURL"] = u
	}
	return steps.Result{Outputs: out, Message: fmt.Sprintf("pushed %s to %s", commit, branch)}
}

func pushError(err error) error {
	var conflict *gitrepo.ConflictError
	switch {
	case errors.Is(err, gitrepo.ErrTransportNotAllowed):
		return steps.Terminal(steps.Reasoned("TransportNotAllowed", fmt.Errorf("config.path: %w", err)))
	case errors.As(err, &conflict):
		return steps.Terminal(steps.Reasoned("MergeConflict", err))
	case errors.Is(err, gitrepo.ErrDirtyWorktree):
		return steps.Reasoned("UncommittedChanges", err)
	case errors.Is(err, gitrepo.ErrPushRejected):
		return steps.Reasoned("PushRejected", err)
	}
	return steps.Reasoned("PushFailed", err)
}
