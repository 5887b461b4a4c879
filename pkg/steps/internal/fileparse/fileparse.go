// Package fileparse runs the parse steps (yaml-parse, json-parse, toml-parse): it reads a
// workspace file, decodes it with the step's decoder, and evaluates each output's bare
// expression with the file's root object as the environment.
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
	// FromExpression is a bare expr-lang expression (no ${{ }}) over the file's root object.
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
// decode error, a root that is not an object, and an expression that does not compile or
// fails are Errored, as docs/steps/yaml-parse.md says.
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
	if len(bytes.TrimSpace(data)) == 0 {
		return steps.Result{}, fmt.Errorf("parse %s: the file is empty", path)
	}
	doc, err := decode(data)
	if err != nil {
		return steps.Result{}, fmt.Errorf("parse %s as %s: %w", path, format, err)
	}
	env, ok := doc.(map[string]any)
	if !ok {
		return steps.Result{}, fmt.Errorf("parse %s: the root of the document is %s, not an object", path, kind(doc))
	}
	out := make(map[string]any, len(outputs))
	for i, o := range outputs {
		v, err := ev.Bare(o.FromExpression, env)
		if err != nil {
			return steps.Result{}, fmt.Errorf("config.outputs[%d] (%s): %w", i, o.Name, err)
		}
		out[o.Name] = v
	}
	return steps.Result{Outputs: out, Message: fmt.Sprintf("parsed %d output(s) from %s", len(outputs), path)}, nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
