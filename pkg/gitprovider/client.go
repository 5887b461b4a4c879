package gitprovider

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/secret"
)

// State is a pull request's state.
type State string

// States of a pull request.
const (
	StateOpen   State = "open"
	StateMerged State = "merged"
	StateClosed State = "closed" // closed (declined) without being merged
)

// Mergeability is what the provider says about merging an open pull request now.
type Mergeability string

// Mergeabilities. The empty value means the provider does not report it (Bitbucket): merging is
// attempted and the provider's answer decides.
const (
	Mergeable Mergeability = "mergeable"
	// Conflicting: the branches conflict; only a new commit can fix it.
	Conflicting Mergeability = "conflict"
	// Blocked: draft, failing or pending checks, missing approvals, branch behind.
	Blocked Mergeability = "blocked"
	// Unknown: the provider is still computing it.
	Unknown Mergeability = "unknown"
)

// PR is a pull request (GitLab: merge request) as the providers report it.
type PR struct {
	// Number is the number users see: GitHub/Gitea number, GitLab iid, Bitbucket id.
	Number int
	// URL is the pull request's web page.
	URL        string
	State      State
	HeadBranch string
	BaseBranch string
	// HeadSHA is the source branch's commit; Bitbucket reports it abbreviated.
	HeadSHA string
	// MergeCommit is the commit the merge made on the base branch, once merged.
	MergeCommit string
	Mergeable   Mergeability
	BlockedBy   string // why Mergeable is Blocked, in the provider's words
	CreatedAt   time.Time
}

// NewPR is what CreatePR opens.
type NewPR struct {
	Head, Base  string
	Title       string
	Description string
	Labels      []string // GitHub and GitLab only; ignored elsewhere
}

// api is what the Client needs from one provider's REST API; github, gitlab, gitea and
// bitbucket implement it.
type api interface {
	list(ctx context.Context, head, base string) ([]PR, error)
	create(ctx context.Context, pr NewPR) (PR, error)
	get(ctx context.Context, number int) (PR, error)
	// merge merges pr with method ("" for the provider's default) and returns the merge
	// commit.
	merge(ctx context.Context, pr PR, method string) (string, error)
}

// MergeMethods lists the mergeMethod values each provider accepts; the first is its default.
var MergeMethods = map[string][]string{
	GitHub:    {"merge", "rebase", "squash"},
	GitLab:    {"merge", "squash"},
	Gitea:     {"merge", "rebase", "rebase-merge", "squash", "fast-forward-only", "manually-merged"},
	Bitbucket: {"merge_commit", "squash", "fast_forward"},
}

// Client reaches the pull requests of one repository. It is safe for concurrent use.
type Client struct {
	provider string
	repo     string // redacted repository URL, for messages
	api      api
}

type options struct {
	creds    secret.Credentials
	insecure bool
	http     *http.Client
}

// Option configures a Client.
type Option func(*options)

// WithCredentials authenticates with c: its password is the token. Default anonymous.
func WithCredentials(c *secret.Credentials) Option {
	return func(o *options) {
		if c != nil {
			o.creds = *c
		}
	}
}

// WithInsecureSkipTLSVerify skips verifying the API server's TLS certificate when skip is
// true. Default false.
func WithInsecureSkipTLSVerify(skip bool) Option { return func(o *options) { o.insecure = skip } }

// WithHTTPClient sends requests with c. Default a client with a 30 s timeout that uses the
// environment's proxy settings (and honours WithInsecureSkipTLSVerify).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.http = c } }

// New returns a Client for the repository at repoURL on provider, or on the provider Infer
// finds when provider is "". It wraps ErrUnknownProvider, ErrUnsupportedProvider (Azure DevOps)
// or ErrBadRepoURL.
func New(repoURL, provider string, opts ...Option) (*Client, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	r, err := parseRepoURL(repoURL)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", RedactURL(repoURL), err)
	}
	if provider == "" {
		provider = Infer(repoURL)
	}
	if o.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if o.insecure {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by insecureSkipTLSVerify
		}
		o.http = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	c := &Client{provider: provider, repo: RedactURL(repoURL)}
	t := &transport{provider: provider, base: r.apiBase(provider), http: o.http}
	switch provider {
	case "":
		return nil, fmt.Errorf("repository %s: %w from its host %q; set provider", c.repo, ErrUnknownProvider, r.hostname)
	case GitHub:
		c.api, err = newGitHub(t, r, o.creds)
	case GitLab:
		c.api, err = newGitLab(t, r, o.creds)
	case Gitea:
		c.api, err = newGitea(t, r, o.creds)
	case Bitbucket:
		c.api, err = newBitbucket(t, r, o.creds)
	default:
		return nil, fmt.Errorf("repository %s: %w: %s", c.repo, ErrUnsupportedProvider, provider)
	}
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", c.repo, err)
	}
	return c, nil
}

// Provider returns the provider the Client talks to, e.g. "github".
func (c *Client) Provider() string { return c.provider }

// FindPRs returns the pull requests, in every state, from branch head into branch base.
func (c *Client) FindPRs(ctx context.Context, head, base string) ([]PR, error) {
	prs, err := c.api.list(ctx, head, base)
	if err != nil {
		return nil, fmt.Errorf("list pull requests from %s into %s of %s: %w", head, base, c.repo, err)
	}
	return prs, nil
}

// CreatePR opens a pull request. It wraps ErrAlreadyExists when one is open for the same
// branches and ErrNoChanges when the provider says there is nothing to merge.
func (c *Client) CreatePR(ctx context.Context, pr NewPR) (PR, error) {
	got, err := c.api.create(ctx, pr)
	if err != nil {
		return PR{}, fmt.Errorf("open pull request from %s into %s of %s: %w", pr.Head, pr.Base, c.repo, err)
	}
	return got, nil
}

// GetPR reads pull request number.
func (c *Client) GetPR(ctx context.Context, number int) (PR, error) {
	pr, err := c.api.get(ctx, number)
	if err != nil {
		return PR{}, fmt.Errorf("read pull request %d of %s: %w", number, c.repo, err)
	}
	return pr, nil
}

// MergePR merges the open pull request pr with method (one of MergeMethods[provider]; "" for
// the default) and returns the merge commit. It wraps ErrNotMergeable when the provider refuses
// for now, ErrConflict for conflicts.
func (c *Client) MergePR(ctx context.Context, pr PR, method string) (string, error) {
	if method != "" && !contains(MergeMethods[c.provider], method) {
		return "", fmt.Errorf("merge pull request %d of %s: %w %q: %s offers %s",
			pr.Number, c.repo, ErrInvalidMergeMethod, method, c.provider, strings.Join(MergeMethods[c.provider], ", "))
	}
	sha, err := c.api.merge(ctx, pr, method)
	if err != nil {
		return "", fmt.Errorf("merge pull request %d of %s: %w", pr.Number, c.repo, err)
	}
	return sha, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
