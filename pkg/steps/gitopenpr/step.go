package gitopenpr

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/drayhq/dray/pkg/gitprovider"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/prstep"
)

// Name is the step's name, the value of uses.
const Name = "git-open-pr"

// Step is the git-open-pr step. It is safe for concurrent use.
type Step struct {
	creds gitrepo.CredentialStore
	ui    string
}

var _ steps.Step = (*Step)(nil)

// Option configures the step.
type Option func(*Step)

// WithCredentials makes the step reach the repository, over Git and the provider's API, with
// the git credentials store holds for the promotion's project and repoURL (the API token is
// their password). Default none: anonymous.
func WithCredentials(store gitrepo.CredentialStore) Option { return func(s *Step) { s.creds = store } }

// WithUIBaseURL appends to every description a link to the Stage in Dray's UI at base, e.g.
// https://dray.example.com. Default none.
func WithUIBaseURL(base string) Option {
	return func(s *Step) { s.ui = strings.TrimSuffix(base, "/") }
}

// New returns the git-open-pr step.
func New(opts ...Option) *Step {
	s := &Step{}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Info names the step and its executor; it never changes the workspace.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "git", ReadOnly: true} }

// Run opens or reuses the pull request and outputs pr {id, url}; see the package
// documentation.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	if prev, ok := sc.Previous["pr"].(map[string]any); ok && prev["id"] != nil {
		return steps.Result{Outputs: map[string]any{"pr": prev}, Message: fmt.Sprintf("pull request %v already opened", prev["id"])}, nil
	}
	client, err := prstep.Connect(ctx, s.creds, sc.Project, cfg.RepoURL, cfg.Provider, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return steps.Result{}, err
	}
	br, err := readBranches(ctx, gitrepo.ProjectAuth(s.creds, sc.Project), cfg.RepoURL, cfg.SourceBranch, cfg.TargetBranch, cfg.InsecureSkipTLSVerify)
	if err != nil {
		if errors.Is(err, errNoBranch) {
			return steps.Result{}, steps.Reasoned("BranchNotFound", err)
		}
		return steps.Result{}, steps.Reasoned("GitError", err)
	}
	head := br.sourceHead.Hash.String()

	existing, err := client.FindPRs(ctx, cfg.SourceBranch, cfg.TargetBranch)
	if err != nil {
		return steps.Result{}, prstep.Error(err)
	}
	if pr, ok := pick(existing, head); ok {
		return opened(pr, "reused"), nil
	}
	if br.sameTree {
		return steps.Result{Status: steps.StatusSkipped, Message: fmt.Sprintf("%s and %s do not differ: no pull request needed", cfg.SourceBranch, cfg.TargetBranch)}, nil
	}

	title, description := cfg.Title, cfg.Description
	msgTitle, msgBody, _ := strings.Cut(strings.TrimSpace(br.sourceHead.Message), "\n")
	if title == "" {
		title = strings.TrimSpace(msgTitle)
	}
	if description == "" {
		description = strings.TrimSpace(msgBody)
	}
	if s.ui != "" {
		link := fmt.Sprintf("[View in Dray UI](%s/project/%s/stage/%s)", s.ui, url.PathEscape(sc.Project), url.PathEscape(sc.Stage))
		description = strings.TrimSpace(description + "\n\n" + link)
	}
	pr, err := client.CreatePR(ctx, gitprovider.NewPR{Head: cfg.SourceBranch, Base: cfg.TargetBranch, Title: title, Description: description, Labels: cfg.Labels})
	switch {
	case errors.Is(err, gitprovider.ErrAlreadyExists):
		// Someone opened one meanwhile (or its head moved since): reuse the open one.
		again, ferr := client.FindPRs(ctx, cfg.SourceBranch, cfg.TargetBranch)
		if ferr != nil {
			return steps.Result{}, prstep.Error(ferr)
		}
		for _, p := range again {
			if p.State == gitprovider.StateOpen {
				return opened(p, "reused"), nil
			}
		}
		return steps.Result{}, prstep.Error(err)
	case errors.Is(err, gitprovider.ErrNoChanges):
		return steps.Result{Status: steps.StatusSkipped, Message: fmt.Sprintf("%s has nothing to merge into %s: no pull request needed", cfg.SourceBranch, cfg.TargetBranch)}, nil
	case err != nil:
		return steps.Result{}, prstep.Error(err)
	}
	return opened(pr, "opened"), nil
}

// pick chooses the pull request to reuse among those from the source branch into the target:
// at the source's head commit (Bitbucket abbreviates it), open or merged; open first, then
// merged, then the newest.
func pick(prs []gitprovider.PR, head string) (gitprovider.PR, bool) {
	var c []gitprovider.PR
	for _, p := range prs {
		if p.HeadSHA != "" && strings.HasPrefix(head, p.HeadSHA) && p.State != gitprovider.StateClosed {
			c = append(c, p)
		}
	}
	if len(c) == 0 {
		return gitprovider.PR{}, false
	}
	sort.SliceStable(c, func(i, j int) bool {
		if (c[i].State == gitprovider.StateOpen) != (c[j].State == gitprovider.StateOpen) {
			return c[i].State == gitprovider.StateOpen
		}
		if !c[i].CreatedAt.Equal(c[j].CreatedAt) {
			return c[i].CreatedAt.After(c[j].CreatedAt)
		}
		return c[i].Number > c[j].Number
	})
	return c[0], true
}

func opened(pr gitprovider.PR, verb string) steps.Result {
	return steps.Result{
		Outputs: map[string]any{"pr": map[string]any{"id": pr.Number, "url": pr.URL}},
		Message: fmt.Sprintf("%s pull request %d", verb, pr.Number),
	}
}
