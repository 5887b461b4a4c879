package githubpush

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/gitprovider"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/prstep"
)

// Name is the step's name, the value of uses.
const Name = "github-push"

// GeneratedBranchPrefix starts the branch generateTargetBranch pushes to, as git-push's.
const GeneratedBranchPrefix = "kargo/promotion/"

// Step is the github-push step. It is safe for concurrent use.
type Step struct {
	creds      gitrepo.CredentialStore
	backoff    func(n int) time.Duration
	transports gitrepo.Transports
}

var _ steps.Step = (*Step)(nil)

// Option configures the step.
type Option func(*Step)

// WithCredentials makes the step reach the repository, with git and through the API, with the
// git credentials store holds for the project. Default anonymous.
func WithCredentials(store gitrepo.CredentialStore) Option { return func(s *Step) { s.creds = store } }

// WithBackoff sets the delay before round n+1 (n ≥ 1). Default gitrepo.DefaultBackoff.
func WithBackoff(f func(n int) time.Duration) Option { return func(s *Step) { s.backoff = f } }

// WithTransports lets the step fetch over the transports t names beyond https, http and ssh.
func WithTransports(t gitrepo.Transports) Option { return func(s *Step) { s.transports = t } }

// New returns the github-push step.
func New(opts ...Option) *Step {
	s := &Step{backoff: gitrepo.DefaultBackoff}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Info names the step and its executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "git"} }

// Run recreates the working tree's new commits on the GitHub branch through the API and
// outputs commit, branch and commitURL (see the package documentation).
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
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
	branch, force := cfg.TargetBranch, cfg.Force
	if cfg.GenerateTargetBranch {
		if sc.Promotion == "" {
			return steps.Result{}, steps.Terminal(errors.New("generateTargetBranch: the promotion has no name"))
		}
		branch, force = GeneratedBranchPrefix+sc.Promotion, true
	}
	if branch == "" {
		if branch, err = repo.Branch(); err != nil {
			return steps.Result{}, err
		}
		if branch == "" {
			return steps.Result{}, steps.Terminal(steps.Reasoned("DetachedHead",
				fmt.Errorf("config.targetBranch: %s has no branch checked out (%w); set targetBranch", cfg.Path, gitrepo.ErrDetachedHead)))
		}
	}
	client, err := prstep.Connect(ctx, s.creds, sc.Project, repo.URL(), gitprovider.GitHub, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return steps.Result{}, err
	}
	api, err := client.GitData()
	if err != nil {
		return steps.Result{}, steps.Terminal(steps.Reasoned("UnknownProvider", err))
	}
	attempts := cfg.MaxAttempts
	if attempts < 1 {
		attempts = gitrepo.DefaultMaxAttempts
	}
	for n := 1; ; n++ {
		head, err := s.push(ctx, repo, api, branch, force)
		if err == nil {
			out := map[string]any{"commit": head, "branch": branch}
			if u := commitURL(repo.URL(), head); u != "" {
				out["commitURL"] = u
			}
			return steps.Result{Outputs: out, Message: fmt.Sprintf("pushed %s to %s through the GitHub API", head, branch)}, nil
		}
		if !errors.Is(err, gitprovider.ErrNotFastForward) {
			return steps.Result{}, classify(err)
		}
		if n >= attempts {
			return steps.Result{}, steps.Reasoned("PushRejected", fmt.Errorf("%s moved while its commits were made %d times: %w", branch, n, err))
		}
		select {
		case <-ctx.Done():
			return steps.Result{}, ctx.Err()
		case <-time.After(s.backoff(n)):
		}
	}
}

// push makes one round: integrate, recreate the commits, move the branch, sync the working
// tree. It returns the branch's new head.
func (s *Step) push(ctx context.Context, repo *gitrepo.Repo, api *gitprovider.GitData, branch string, force bool) (string, error) {
	out, err := repo.Outgoing(ctx, branch, force)
	if err != nil {
		return "", err
	}
	if len(out.Commits) == 0 && out.Remote == out.Base {
		return out.Base, nil // nothing the remote lacks
	}
	parent := out.Base
	base, err := api.GetCommit(ctx, parent)
	if err != nil {
		return "", fmt.Errorf("the commit the new ones build on: %w", err)
	}
	tree := base.Tree
	for i, c := range out.Commits {
		entries := make([]gitprovider.TreeEntry, 0, len(c.Changes))
		for _, ch := range c.Changes {
			e := gitprovider.TreeEntry{Path: ch.Path, Mode: ch.Mode}
			if !ch.Deleted {
				if e.SHA, err = api.CreateBlob(ctx, ch.Content); err != nil {
					return "", fmt.Errorf("commit %d/%d (%s): %s: %w", i+1, len(out.Commits), short(c.SHA), ch.Path, err)
				}
			}
			entries = append(entries, e)
		}
		if tree, err = api.CreateTree(ctx, tree, entries); err != nil {
			return "", fmt.Errorf("commit %d/%d (%s): %w", i+1, len(out.Commits), short(c.SHA), err)
		}
		made, err := api.CreateCommit(ctx, gitprovider.NewCommit{Message: withCoAuthor(c), Tree: tree, Parents: []string{parent}})
		if err != nil {
			return "", fmt.Errorf("commit %d/%d (%s): %w", i+1, len(out.Commits), short(c.SHA), err)
		}
		parent, tree = made.SHA, made.Tree
	}
	if out.Remote == "" {
		err = api.CreateBranch(ctx, branch, parent)
	} else {
		err = api.UpdateBranch(ctx, branch, parent, force)
	}
	if err != nil {
		return "", err
	}
	return repo.SyncTo(ctx, branch)
}

// withCoAuthor keeps the original author in the message: the commit GitHub makes is the
// token's user's.
func withCoAuthor(c gitrepo.OutgoingCommit) string {
	msg := strings.TrimRight(c.Message, "\n")
	if c.AuthorName == "" || c.AuthorEmail == "" || strings.Contains(msg, "Co-authored-by: "+c.AuthorName) {
		return msg
	}
	return fmt.Sprintf("%s\n\nCo-authored-by: %s <%s>", msg, c.AuthorName, c.AuthorEmail)
}

func short(sha string) string { return sha[:min(len(sha), 7)] }

// classify gives an error its reason and says whether it is retried.
func classify(err error) error {
	var conflict *gitrepo.ConflictError
	switch {
	case errors.As(err, &conflict):
		return steps.Terminal(steps.Reasoned("MergeConflict", err))
	case errors.Is(err, gitrepo.ErrNotLinear):
		return steps.Terminal(steps.Reasoned("NotLinear", err))
	case errors.Is(err, gitrepo.ErrTransportNotAllowed):
		return steps.Terminal(steps.Reasoned("TransportNotAllowed", fmt.Errorf("config.path: %w", err)))
	case errors.Is(err, gitrepo.ErrDirtyWorktree):
		return steps.Reasoned("UncommittedChanges", err)
	}
	return prstep.Error(err)
}

// commitURL is the commit's page on GitHub: the repository URL without .git, /commit/<sha>.
func commitURL(repoURL, sha string) string {
	u, err := url.Parse(repoURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return strings.TrimSuffix(strings.TrimSuffix(u.String(), "/"), ".git") + "/commit/" + sha
}
