package gittag

// Config is the git-tag step's config (schemas/steps/git-tag.json).
type Config struct {
	// Path is the working tree, relative to the workspace.
	Path string `json:"path"`
	// Tag is the name of the tag.
	Tag string `json:"tag"`
	// Message is the tag's annotation.
	Message string `json:"message"`
	// Force moves an existing tag to HEAD.
	Force bool `json:"force,omitempty"`
}
