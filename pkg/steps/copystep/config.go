package copystep

// Config is the config of copy, as described by schemas/steps/copy.json.
type Config struct {
	// InPath is the file or directory to copy, relative to the workspace.
	InPath string `json:"inPath"`
	// OutPath is the file or directory to copy to, relative to the workspace.
	OutPath string `json:"outPath"`
	// Ignore lists paths not to copy, in .gitignore syntax, relative to InPath.
	Ignore string `json:"ignore,omitempty"`
}
