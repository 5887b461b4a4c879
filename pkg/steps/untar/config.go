package untar

// Config is the config of untar, as described by schemas/steps/untar.json.
type Config struct {
	// InPath is the archive, relative to the workspace; gzip is detected.
	InPath string `json:"inPath"`
	// OutPath is the directory to extract into, relative to the workspace; it is replaced.
	OutPath string `json:"outPath"`
	// StripComponents is how many leading parts to remove from each entry name. Default 0.
	StripComponents int `json:"stripComponents,omitempty"`
	// Ignore lists entries not to extract, in .gitignore syntax.
	Ignore string `json:"ignore,omitempty"`
}
