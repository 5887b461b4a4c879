package gitclone

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
)

// Step is the git-clone step. It is safe for concurrent use.
type Step struct {
	creds      gitrepo.CredentialStore
	cache      *gitrepo.Cache
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

// WithCache makes branch checkouts take the branch head from c when it holds it, asking the
// remote only which commit the branch is at, and add what they fetch to c. The working trees
// are the same either way. Default none: every checkout fetches.
func WithCache(c *gitrepo.Cache) Option { return func(s *Step) { s.cache = c } }

// WithTransports allows repository URLs (and submodules) to use the transports t names
// beyond https, http and ssh, e.g. gitrepo.TransportFile for file:// URLs and local paths.
// Default none: such a URL fails the step (reason TransportNotAllowed), so that a promotion
// cannot read the host's filesystem.
func WithTransports(t gitrepo.Transports) Option { return func(s *Step) { s.transports = t } }

// New returns the git-clone step. Without WithCredentials it reaches remotes anonymously.
func New(opts ...Option) *Step {
	s := &Step{}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Info names the step and its executor.
func (*Step) Info() steps.Info { return steps.Info{Name: "git-clone", Executor: "git"} }

// Run clones every checkout and outputs commits. A bad config, a path outside the workspace
// and a path that holds something else are terminal; a missing branch (without create) and
// remote failures are retryable errors.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, "git-clone")
	if err != nil {
		return steps.Result{}, err
	}
	if err := cfg.validate(); err != nil {
		return steps.Result{}, steps.Terminal(fmt.Errorf("step %q (git-clone): %w: %w", sc.Alias, steps.ErrInvalidConfig, err))
	}
	if err := s.transports.Check(cfg.RepoURL); err != nil {
		return steps.Result{}, steps.Terminal(steps.Reasoned(ReasonTransportNotAllowed, fmt.Errorf("step %q (git-clone): config.repoURL: %w", sc.Alias, err)))
	}
	author := gitrepo.Author{}
	if cfg.Author != nil {
		author = gitrepo.Author{Name: cfg.Author.Name, Email: cfg.Author.Email}
	}
	commits := make(map[string]any, len(cfg.Checkout))
	paths := make([]string, 0, len(cfg.Checkout))
	for i, co := range cfg.Checkout {
		dir, err := sc.Path(co.Path)
		if err != nil {
			return steps.Result{}, steps.Terminal(fmt.Errorf("config.checkout[%d].path: %w", i, err))
		}
		if len(co.Sparse) > 0 && sc.Log != nil {
			sc.Log.Warn("sparse checkout is not supported yet: checking out everything", "path", co.Path)
		}
		repo, err := gitrepo.Clone(ctx, dir, gitrepo.CloneOptions{
			URL:               cfg.RepoURL,
			Branch:            co.Branch,
			Tag:               co.Tag,
			Commit:            co.Commit,
			Create:            co.Create,
			Author:            author,
			InsecureSkipTLS:   cfg.InsecureSkipTLSVerify,
			RecurseSubmodules: cfg.RecurseSubmodules,
			Auth:              gitrepo.ProjectAuth(s.creds, sc.Project),
			Cache:             s.cache,
			Transports:        s.transports,
		})
		if err != nil {
			return steps.Result{}, cloneError(i, co, err)
		}
		head, err := repo.Head()
		if err != nil {
			return steps.Result{}, err
		}
		commits[co.key()] = head
		paths = append(paths, co.Path)
	}
	return steps.Result{
		Outputs: map[string]any{"commits": commits},
		Message: fmt.Sprintf("cloned %s into %s", cfg.RepoURL, strings.Join(paths, ", ")),
	}, nil
}

// ReasonTransportNotAllowed is the reason of a repository or submodule URL whose transport
// the operator did not allow (gitrepo.ErrTransportNotAllowed).
const ReasonTransportNotAllowed = "TransportNotAllowed"

func cloneError(i int, co Checkout, err error) error {
	err = fmt.Errorf("checkout[%d] (%s): %w", i, co.Path, err)
	switch {
	case errors.Is(err, gitrepo.ErrTransportNotAllowed):
		return steps.Terminal(steps.Reasoned(ReasonTransportNotAllowed, err))
	case errors.Is(err, gitrepo.ErrPathInUse):
		return steps.Terminal(steps.Reasoned("PathInUse", err))
	case errors.Is(err, gitrepo.ErrBranchNotFound):
		return steps.Reasoned("BranchNotFound", err)
	}
	return steps.Reasoned("CloneFailed", err)
}
