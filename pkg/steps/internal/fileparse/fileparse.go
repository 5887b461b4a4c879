// Package fileparse runs the parse steps (yaml-parse, json-parse, toml-parse): it reads a
// workspace file, decodes it with the step's decoder, and evaluates each output's bare
// expression over the file's root (expr.Evaluator.Document): an object's keys are variables,
// and $env is the root itself, whether object, list or plain value.
package fileparse

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Output names one output and the bare expression that computes it.
type Output struct {
	// Name is the output's key in outputs.<alias>.
	Name string `json:"name"`
	// FromExpression is a bare expr-lang expression (no ${{ }}) over the file's root.
	FromExpression string `json:"fromExpression"`
}

// Validate reports an output name used twice, naming the field.
func Validate(outputs []Output) error {
	seen := map[string]int{}
	var errs []error
	for i, o := range outputs {
		if j, dup := seen[o.Name]; dup {
			errs = append(errs, fmt.Errorf("config.outputs[%d].name: %q is also the name of config.outputs[%d]", i, o.Name, j))
			continue
		}
		seen[o.Name] = i
	}
	return errors.Join(errs...)
}

// Decoder turns a file's bytes into a JSON-like value (maps, slices, float64, string, bool,
// nil).
type Decoder func([]byte) (any, error)

// Run reads path (config field config.path) from the workspace, decodes it, and returns one
// output per entry of outputs. A path outside the workspace is terminal; an empty file, a
// decode error, and an expression that does not compile or fails are Errored, as
// docs/steps/yaml-parse.md says.
func Run(ctx context.Context, sc *steps.Context, ev *expr.Evaluator, step, path string, outputs []Output, format string, decode Decoder) (steps.Result, error) {
	name, err := files.Local(sc, step, "config.path", path)
	if err != nil {
		return steps.Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	data, err := sc.Dir.ReadFile(name)
	if err != nil {
		return steps.Result{}, files.Error(sc, step, "config.path", "read", path, err)
	}
	// The messages follow Kargo's wording ("could not parse YAML file", "failed to extract
	// outputs", "error evaluating expression"), so that a search for Kargo's finds Dray's.
	if len(bytes.TrimSpace(data)) == 0 {
		return steps.Result{}, fmt.Errorf("could not parse empty %s file %q", format, path)
	}
	doc, err := decode(data)
	if err != nil {
		return steps.Result{}, fmt.Errorf("could not parse %s file %q: %w", format, path, err)
	}
	out := make(map[string]any, len(outputs))
	for i, o := range outputs {
		v, err := ev.Document(o.FromExpression, doc)
		if err != nil {
			var xe *expr.Error
			if errors.As(err, &xe) {
				err = xe.Err // the expression is named below
			}
			return steps.Result{}, fmt.Errorf("failed to extract outputs from %s file %q: output %q (config.outputs[%d]): error evaluating expression %q: %w",
				format, path, o.Name, i, o.FromExpression, err)
		}
		out[o.Name] = v
	}
	return steps.Result{Outputs: out, Message: fmt.Sprintf("parsed %d output(s) from %s", len(outputs), path)}, nil
}
