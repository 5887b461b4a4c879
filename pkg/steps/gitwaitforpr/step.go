package gitwaitforpr

import (
	"context"
	"fmt"
	"time"

	"github.com/drayhq/dray/pkg/gitprovider"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/prstep"
)

// Name is the step's name, the value of uses.
const Name = "git-wait-for-pr"

// DefaultPollInterval is the wait between attempts when pollInterval is not set.
const DefaultPollInterval = 30 * time.Second

// Step is the git-wait-for-pr step. It is safe for concurrent use.
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

// New returns the git-wait-for-pr step.
func New(opts ...Option) *Step {
	s := &Step{}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Info names the step and its executor; it never changes the workspace.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "git", ReadOnly: true} }

// Run reads the pull request: open ⇒ steps.Wait(pollInterval), merged ⇒ success with commit,
// closed unmerged ⇒ terminal. API errors are retried (reasons Unauthorized,
// PullRequestNotFound, ProviderError).
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
	pr, err := client.GetPR(ctx, cfg.PRNumber)
	if err != nil {
		return steps.Result{}, prstep.Error(err)
	}
	res := steps.Result{Outputs: map[string]any{"pr": prstep.Output(pr)}}
	switch pr.State {
	case gitprovider.StateMerged:
		res.Outputs["commit"] = pr.MergeCommit
		res.Message = fmt.Sprintf("pull request %d was merged as %s", pr.Number, pr.MergeCommit)
		return res, nil
	case gitprovider.StateClosed:
		return res, steps.Terminal(steps.Reasoned("PullRequestClosed", fmt.Errorf("pull request %d was closed without being merged", pr.Number)))
	}
	return res, steps.Wait(interval, fmt.Sprintf("waiting for PR %d", pr.Number))
}
