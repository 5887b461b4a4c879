package githubpush

// Config is the github-push step's config (schemas/steps/github-push.json).
type Config struct {
	// Path is the working tree, relative to the workspace.
	Path string `json:"path"`
	// TargetBranch is the branch to push to; default the checked-out branch.
	TargetBranch string `json:"targetBranch,omitempty"`
	// GenerateTargetBranch pushes, forced, to kargo/promotion/<promotion>.
	GenerateTargetBranch bool `json:"generateTargetBranch,omitempty"`
	// Force overwrites the branch without integrating its changes.
	Force bool `json:"force,omitempty"`
	// MaxAttempts bounds the rounds when the branch moves meanwhile; default 10.
	MaxAttempts int `json:"maxAttempts,omitempty"`
	// InsecureSkipTLSVerify skips verifying the API server's certificate.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
}
