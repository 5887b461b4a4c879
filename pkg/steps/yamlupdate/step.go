package yamlupdate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/drayhq/dray/pkg/steps"
)

// Name is the step's name, the value of uses.
const Name = "yaml-update"

// Reasons of the step's Errored results.
const (
	ReasonKeyPathNotFound  = "KeyPathNotFound"
	ReasonKeyPathNotScalar = "KeyPathNotScalar"
	// ReasonUpdateNotVerified: the edited file would not read back as asked (ErrNotVerified).
	ReasonUpdateNotVerified = "UpdateNotVerified"
)

// Step is the yaml-update step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the yaml-update step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run applies the configured updates to the file at config.path and outputs commitMessage.
// A bad config, a bad key path, a value that is not a scalar or a path that leaves the
// workspace is terminal (Failed). A missing or unreadable file, YAML that does not parse and a
// key that is missing or not a scalar are Errored.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	if err := cfg.Validate(); err != nil {
		return steps.Result{}, steps.Terminal(fmt.Errorf("step %q (%s): %w: %w", sc.Alias, Name, steps.ErrInvalidConfig, err))
	}
	name := filepath.Clean(filepath.FromSlash(cfg.Path))
	if !filepath.IsLocal(name) {
		return steps.Result{}, steps.Terminal(fmt.Errorf("step %q (%s): config.path: %w: %q", sc.Alias, Name, steps.ErrPathEscape, cfg.Path))
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}

	in, err := sc.Dir.ReadFile(name)
	if err != nil {
		return steps.Result{}, s.fileError("read", cfg.Path, sc.Alias, err)
	}
	out, err := Apply(in, cfg.Updates)
	if err != nil {
		err = fmt.Errorf("update %s: %w", cfg.Path, err)
		switch {
		case errors.Is(err, ErrKeyNotFound):
			err = steps.Reasoned(ReasonKeyPathNotFound, err)
		case errors.Is(err, ErrNotScalar):
			err = steps.Reasoned(ReasonKeyPathNotScalar, err)
		case errors.Is(err, ErrNotVerified):
			err = steps.Reasoned(ReasonUpdateNotVerified, err)
		}
		return steps.Result{}, err
	}
	if !bytes.Equal(in, out) {
		if err := ctx.Err(); err != nil {
			return steps.Result{}, err
		}
		// WriteFile keeps the mode of the existing file.
		if err := sc.Dir.WriteFile(name, out, 0o644); err != nil {
			return steps.Result{}, s.fileError("write", cfg.Path, sc.Alias, err)
		}
	}
	return steps.Result{
		Outputs: map[string]any{"commitMessage": commitMessage(cfg.Path, cfg.Updates)},
		Message: fmt.Sprintf("updated %d key(s) in %s", len(cfg.Updates), cfg.Path),
	}, nil
}

// fileError classifies an error of sc.Dir: a path that resolves outside the workspace
// (through a symlink) is terminal and wraps steps.ErrPathEscape; anything else is retryable.
func (*Step) fileError(op, path, alias string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err.Error() == "path escapes from parent" {
		// os.Root does not export its error; its text is stable.
		return steps.Terminal(fmt.Errorf("step %q (%s): config.path: %w: %q", alias, Name, steps.ErrPathEscape, path))
	}
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s %s: file does not exist in the workspace", op, path)
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}
