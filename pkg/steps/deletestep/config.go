package deletestep

import "strconv"

// Config is the config of delete, as described by schemas/steps/delete.json. Exactly one of
// Path and Paths is set.
type Config struct {
	// Path is one file or directory to remove, relative to the workspace.
	Path string `json:"path,omitempty"`
	// Paths are several files or directories to remove.
	Paths []string `json:"paths,omitempty"`
	// PathsAreGlobs reads Path and Paths as doublestar globs relative to the workspace.
	// Default false.
	PathsAreGlobs bool `json:"pathsAreGlobs,omitempty"`
	// Strict makes a missing path, or a glob that matches nothing, an error. Default false.
	Strict bool `json:"strict,omitempty"`
}

// targets lists Path or Paths.
func (c *Config) targets() (fields, values []string) {
	if c.Path != "" {
		return []string{"config.path"}, []string{c.Path}
	}
	for i, p := range c.Paths {
		fields = append(fields, "config.paths["+strconv.Itoa(i)+"]")
		values = append(values, p)
	}
	return fields, values
}
