package yamlmerge

// Config is the config of yaml-merge, as described by schemas/steps/yaml-merge.json.
type Config struct {
	// InFiles are the YAML files to merge, left to right, relative to the workspace.
	InFiles []string `json:"inFiles"`
	// OutFile is the file written, relative to the workspace.
	OutFile string `json:"outFile"`
	// IgnoreMissingFiles skips inputs that do not exist instead of failing. Default false.
	IgnoreMissingFiles bool `json:"ignoreMissingFiles,omitempty"`
}
