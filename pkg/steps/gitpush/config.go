package gitpush

// Config is the git-push step's config (schemas/steps/git-push.json).
type Config struct {
	// Path is the working tree, relative to the workspace.
	Path string `json:"path"`
	// TargetBranch is the remote branch to push to; default the checked-out branch.
	TargetBranch string `json:"targetBranch,omitempty"`
	// GenerateTargetBranch pushes, forced, to kargo/promotion/<promotion>.
	GenerateTargetBranch bool `json:"generateTargetBranch,omitempty"`
	// Tag pushes this tag instead of a branch.
	Tag string `json:"tag,omitempty"`
	// Force overwrites the remote branch without integrating its changes.
	Force bool `json:"force,omitempty"`
	// MaxAttempts bounds the integrate-and-push rounds; default 10.
	MaxAttempts int `json:"maxAttempts,omitempty"`
	// Provider is the Git hosting provider, for commitURL; default inferred from the URL.
	Provider string `json:"provider,omitempty"`
}
