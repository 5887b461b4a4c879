package gitopenpr

// Config is the git-open-pr step's config (schemas/steps/git-open-pr.json).
type Config struct {
	// RepoURL is the repository's URL.
	RepoURL string `json:"repoURL"`
	// SourceBranch is the head branch; it must exist on the remote.
	SourceBranch string `json:"sourceBranch"`
	// TargetBranch is the base branch; it must exist on the remote.
	TargetBranch string `json:"targetBranch"`
	// Title defaults to the first line of the head commit's message.
	Title string `json:"title,omitempty"`
	// Description defaults to the rest of the head commit's message.
	Description string `json:"description,omitempty"`
	// Labels are added to the pull request (GitHub and GitLab).
	Labels []string `json:"labels,omitempty"`
	// Provider is github, gitlab, gitea or bitbucket; default inferred from the URL.
	Provider string `json:"provider,omitempty"`
	// InsecureSkipTLSVerify skips verifying TLS certificates, for Git and the API.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
	// CreateTargetBranch is deprecated and ignored.
	CreateTargetBranch bool `json:"createTargetBranch,omitempty"`
}
