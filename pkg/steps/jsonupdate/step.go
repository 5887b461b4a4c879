package jsonupdate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tidwall/sjson"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "json-update"

// Step is the json-update step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the json-update step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run applies the configured updates to the JSON file at config.path and outputs
// commitMessage. A bad config, a value that is not a scalar or a path outside the workspace
// is terminal (Failed). A missing file or one that is not valid JSON is Errored.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	if err := cfg.Validate(); err != nil {
		return steps.Result{}, files.Invalid(sc, Name, err)
	}
	apply := func(in []byte) ([]byte, error) { return Apply(in, cfg.Updates) }
	if err := files.Rewrite(ctx, sc, Name, "config.path", cfg.Path, apply); err != nil {
		return steps.Result{}, err
	}
	return steps.Result{
		Outputs: map[string]any{"commitMessage": commitMessage(cfg.Path, cfg.Updates)},
		Message: fmt.Sprintf("updated %d key(s) in %s", len(cfg.Updates), cfg.Path),
	}, nil
}

// Apply returns in, which must be valid JSON, with updates applied by sjson on the raw text:
// every byte outside the values it sets keeps its place, and missing keys and intermediate
// objects are created.
func Apply(in []byte, updates []Update) ([]byte, error) {
	if !json.Valid(in) {
		return nil, fmt.Errorf("the file is not valid JSON")
	}
	out := in
	for _, u := range updates {
		var err error
		if out, err = sjson.SetBytes(out, u.Key, u.Value); err != nil {
			return nil, fmt.Errorf("key %s: %w", u.Key, err)
		}
	}
	if !json.Valid(out) {
		return nil, fmt.Errorf("setting %d key(s) did not leave valid JSON; check the key paths", len(updates))
	}
	// sjson drops the white space after the root value when it adds a key to the root
	// object; the file keeps its final newline.
	tail := in[len(bytes.TrimRight(in, " \t\r\n")):]
	if !bytes.HasSuffix(out, tail) {
		out = append(bytes.TrimRight(out, " \t\r\n"), tail...)
	}
	return out, nil
}

// commitMessage is "Updated <path>\n" then "\n- <key>: <value>" per update, strings quoted.
func commitMessage(path string, updates []Update) string {
	var b strings.Builder
	b.WriteString("Updated " + path + "\n")
	for _, u := range updates {
		v := fmt.Sprintf("%v", u.Value)
		if s, ok := u.Value.(string); ok {
			v = fmt.Sprintf("%q", s)
		}
		b.WriteString("\n- " + u.Key + ": " + v)
	}
	return b.String()
}
