package jsonparse

import "github.com/drayhq/dray/pkg/steps/internal/fileparse"

// Config is the config of json-parse, as described by schemas/steps/json-parse.json.
type Config struct {
	// Path is the JSON file, relative to the workspace.
	Path string `json:"path"`
	// Outputs are the outputs to compute, at least one.
	Outputs []Output `json:"outputs"`
}

// Output names one output and the bare expr-lang expression, over the file's root object,
// that computes it.
type Output = fileparse.Output

// Validate reports an output name used twice.
func (c *Config) Validate() error { return fileparse.Validate(c.Outputs) }
