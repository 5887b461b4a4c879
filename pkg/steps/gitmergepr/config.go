package gitmergepr

// Config is the git-merge-pr step's config (schemas/steps/git-merge-pr.json).
type Config struct {
	// RepoURL is the repository's URL.
	RepoURL string `json:"repoURL"`
	// PRNumber is the pull request's number (GitLab: merge request iid).
	PRNumber int `json:"prNumber"`
	// MergeMethod is the provider's merge method; default the provider's default.
	MergeMethod string `json:"mergeMethod,omitempty"`
	// Wait reports Running, rather than failing, while the pull request is not mergeable yet.
	Wait bool `json:"wait,omitempty"`
	// PollInterval is the wait between attempts with wait; default 10s.
	PollInterval string `json:"pollInterval,omitempty"`
	// Provider is github, gitlab, gitea or bitbucket; default inferred from the URL.
	Provider string `json:"provider,omitempty"`
	// InsecureSkipTLSVerify skips verifying the API's TLS certificate.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
}
