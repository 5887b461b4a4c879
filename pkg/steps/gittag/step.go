package gittag

import (
	"context"
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
)

// Name is the step's name in uses.
const Name = "git-tag"

// Step is the git-tag step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the git-tag step.
func New() *Step { return &Step{} }

// Info names the step and its executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "git"} }

// Run tags HEAD and outputs commit. A bad config or tag name, a path outside the workspace
// and a path that is not a working tree are terminal; an existing tag without force is a
// retryable error with reason TagExists.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	dir, err := sc.Path(cfg.Path)
	if err != nil {
		return steps.Result{}, steps.Terminal(fmt.Errorf("config.path: %w", err))
	}
	repo, err := gitrepo.Open(dir, nil)
	if err != nil {
		if errors.Is(err, gitrepo.ErrNotRepository) {
			return steps.Result{}, steps.Terminal(steps.Reasoned("NotARepository", fmt.Errorf("config.path %q: %w", cfg.Path, gitrepo.ErrNotRepository)))
		}
		return steps.Result{}, err
	}
	head, err := repo.Tag(cfg.Tag, cfg.Message, cfg.Force)
	switch {
	case errors.Is(err, gitrepo.ErrInvalidTagName):
		return steps.Result{}, steps.Terminal(steps.Reasoned("InvalidTagName", fmt.Errorf("config.tag: %w", err)))
	case errors.Is(err, gitrepo.ErrTagExists):
		return steps.Result{}, steps.Reasoned("TagExists", fmt.Errorf("config.tag: %w", err))
	case err != nil:
		return steps.Result{}, err
	}
	return steps.Result{
		Outputs: map[string]any{"commit": head},
		Message: fmt.Sprintf("tagged %s as %s in %s", head, cfg.Tag, cfg.Path),
	}, nil
}
