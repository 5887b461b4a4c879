package gitcommit

// Config is the git-commit step's config (schemas/steps/git-commit.json).
type Config struct {
	// Path is the working tree, relative to the workspace.
	Path string `json:"path"`
	// Message is the commit message.
	Message string `json:"message"`
	// Author overrides the identity git-clone recorded. Deprecated.
	Author *Author `json:"author,omitempty"`
}

// Author is a commit identity; empty fields keep the recorded ones.
type Author struct {
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	SigningKey string `json:"signingKey,omitempty"`
}
