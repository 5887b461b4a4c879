package hclupdate

import (
	"context"
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "hcl-update"

// Reasons of the step's Errored results.
const (
	ReasonKeyPathNotFound     = "KeyPathNotFound"
	ReasonKeyPathNotAttribute = "KeyPathNotAttribute"
	ReasonKeyPathAmbiguous    = "KeyPathAmbiguous"
)

// Step is the hcl-update step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the hcl-update step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run applies the configured updates to the HCL file at config.path and outputs
// commitMessage. A bad config, a bad key path, a value that is not a scalar or a path outside
// the workspace is terminal (Failed). A missing file, HCL that does not parse, a missing block
// and a key that names a block or several blocks are Errored; the file is then left as it was.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	if err := cfg.Validate(); err != nil {
		return steps.Result{}, files.Invalid(sc, Name, err)
	}
	apply := func(in []byte) ([]byte, error) { return Apply(in, cfg.Updates) }
	if err := files.Rewrite(ctx, sc, Name, "config.path", cfg.Path, reasoned(apply)); err != nil {
		return steps.Result{}, err
	}
	return steps.Result{
		Outputs: map[string]any{"commitMessage": commitMessage(cfg.Path, cfg.Updates)},
		Message: fmt.Sprintf("updated %d attribute(s) in %s", len(cfg.Updates), cfg.Path),
	}, nil
}

// reasoned gives apply's errors their reasons.
func reasoned(apply func([]byte) ([]byte, error)) func([]byte) ([]byte, error) {
	return func(in []byte) ([]byte, error) {
		out, err := apply(in)
		switch {
		case errors.Is(err, ErrKeyNotFound):
			return nil, steps.Reasoned(ReasonKeyPathNotFound, err)
		case errors.Is(err, ErrNotAttribute):
			return nil, steps.Reasoned(ReasonKeyPathNotAttribute, err)
		case errors.Is(err, ErrAmbiguous):
			return nil, steps.Reasoned(ReasonKeyPathAmbiguous, err)
		}
		return out, err
	}
}
