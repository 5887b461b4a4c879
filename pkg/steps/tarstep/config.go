package tarstep

// Config is the config of tar, as described by schemas/steps/tar.json.
type Config struct {
	// InPath is the directory or file to archive, relative to the workspace.
	InPath string `json:"inPath"`
	// OutPath is the archive to write, relative to the workspace; it is overwritten.
	OutPath string `json:"outPath"`
	// Ignore lists paths to leave out, in .gitignore syntax, relative to InPath.
	Ignore string `json:"ignore,omitempty"`
	// Gzip compresses the archive. Default false.
	Gzip bool `json:"gzip,omitempty"`
}
