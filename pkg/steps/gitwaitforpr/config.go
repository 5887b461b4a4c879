package gitwaitforpr

// Config is the git-wait-for-pr step's config (schemas/steps/git-wait-for-pr.json).
type Config struct {
	// RepoURL is the repository's URL.
	RepoURL string `json:"repoURL"`
	// PRNumber is the pull request's number (GitLab: merge request iid).
	PRNumber int `json:"prNumber"`
	// Provider is github, gitlab, gitea or bitbucket; default inferred from the URL.
	Provider string `json:"provider,omitempty"`
	// InsecureSkipTLSVerify skips verifying the API's TLS certificate.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
	// PollInterval is the wait between attempts while the pull request is open; default 30s.
	PollInterval string `json:"pollInterval,omitempty"`
}
