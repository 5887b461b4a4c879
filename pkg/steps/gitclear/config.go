package gitclear

// Config is the git-clear step's config (schemas/steps/git-clear.json).
type Config struct {
	// Path is the working tree, relative to the workspace.
	Path string `json:"path"`
}
