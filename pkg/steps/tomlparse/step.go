package tomlparse

import (
	"context"

	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/fileparse"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "toml-parse"

// Step is the toml-parse step. It is safe for concurrent use.
type Step struct {
	ev *expr.Evaluator
}

var _ steps.Step = (*Step)(nil)

// New returns the toml-parse step, with its own cache of compiled expressions.
func New() *Step { return &Step{ev: expr.New()} }

// Info names the step, says it runs on the config executor, and that it only reads.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config", ReadOnly: true} }

// Run reads the TOML file at config.path and outputs each of config.outputs. A bad config or
// a path outside the workspace is terminal (Failed). A missing or empty file, TOML that does
// not parse, and an expression that does not compile or fails
// are Errored.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	if err := cfg.Validate(); err != nil {
		return steps.Result{}, files.Invalid(sc, Name, err)
	}
	return fileparse.Run(ctx, sc, s.ev, Name, cfg.Path, cfg.Outputs, "TOML", decode)
}
