package gitmergepr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drayhq/dray/pkg/gitprovider"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/prstep"
)

// Name is the step's name, the value of uses.
const Name = "git-merge-pr"

// DefaultPollInterval is the wait between attempts when pollInterval is not set.
const DefaultPollInterval = 10 * time.Second

// Step is the git-merge-pr step. It is safe for concurrent use.
type Step struct {
	creds gitrepo.CredentialStore
}

var _ steps.Step = (*Step)(nil)

// Option configures the step.
type Option func(*Step)

// WithCredentials makes the step call the provider's API with the token (the password) of
// the git credentials store holds for the promotion's project and repoURL. Default none:
// anonymous.
func WithCredentials(store gitrepo.CredentialStore) Option { return func(s *Step) { s.creds = store } }

// New returns the git-merge-pr step.
func New(opts ...Option) *Step {
	s := &Step{}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Info names the step and its executor; it never changes the workspace.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "git", ReadOnly: true} }

// Run merges the pull request and outputs commit. See the package documentation for the
// outcomes.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	interval, err := prstep.Interval(sc, Name, "pollInterval", cfg.PollInterval, DefaultPollInterval)
	if err != nil {
		return steps.Result{}, err
	}
	client, err := prstep.Connect(ctx, s.creds, sc.Project, cfg.RepoURL, cfg.Provider, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return steps.Result{}, err
	}
	if m := cfg.MergeMethod; m != "" && !contains(gitprovider.MergeMethods[client.Provider()], m) {
		return steps.Result{}, steps.Terminal(fmt.Errorf("step %q (%s): %w: config.mergeMethod: %q is not a %s merge method (%v)",
			sc.Alias, Name, steps.ErrInvalidConfig, m, client.Provider(), gitprovider.MergeMethods[client.Provider()]))
	}
	notReady := func(why error) (steps.Result, error) {
		if cfg.Wait {
			return steps.Result{}, steps.Wait(interval, fmt.Sprintf("pull request %d is not mergeable yet: %v", cfg.PRNumber, why))
		}
		return steps.Result{}, steps.Terminal(steps.Reasoned("NotMergeable", fmt.Errorf("pull request %d is not mergeable: %w (set wait: true to wait for it)", cfg.PRNumber, why)))
	}

	pr, err := client.GetPR(ctx, cfg.PRNumber)
	if err != nil {
		return steps.Result{}, prstep.Error(err)
	}
	switch {
	case pr.State == gitprovider.StateMerged:
		return merged(pr.Number, pr.MergeCommit), nil
	case pr.State == gitprovider.StateClosed:
		return steps.Result{}, steps.Terminal(steps.Reasoned("PullRequestClosed", fmt.Errorf("pull request %d was closed without being merged", pr.Number)))
	case pr.Mergeable == gitprovider.Conflicting:
		return steps.Result{}, steps.Terminal(steps.Reasoned("MergeConflict", fmt.Errorf("pull request %d has merge conflicts", pr.Number)))
	case pr.Mergeable == gitprovider.Blocked:
		return notReady(fmt.Errorf("%s", pr.BlockedBy))
	case pr.Mergeable == gitprovider.Unknown:
		return notReady(errors.New("the provider is still checking mergeability"))
	}

	commit, err := client.MergePR(ctx, pr, cfg.MergeMethod)
	switch {
	case err == nil:
		return merged(pr.Number, commit), nil
	case errors.Is(err, gitprovider.ErrConflict):
		return steps.Result{}, steps.Terminal(steps.Reasoned("MergeConflict", err))
	case errors.Is(err, gitprovider.ErrNotMergeable):
		return notReady(err)
	case errors.Is(err, gitprovider.ErrUnauthorized):
		return steps.Result{}, steps.Terminal(prstep.Error(err))
	}
	var apiErr *gitprovider.APIError
	if errors.As(err, &apiErr) { // the provider refused the merge for another reason
		return steps.Result{}, steps.Terminal(steps.Reasoned("MergeFailed", err))
	}
	return steps.Result{}, prstep.Error(err) // network: retried
}

func merged(n int, commit string) steps.Result {
	return steps.Result{Outputs: map[string]any{"commit": commit}, Message: fmt.Sprintf("pull request %d merged as %s", n, commit)}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
