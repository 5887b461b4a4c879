package gitclear

import (
	"context"
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
)

// Name is the step's name in uses.
const Name = "git-clear"

// Step is the git-clear step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the git-clear step.
func New() *Step { return &Step{} }

// Info names the step and its executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "git"} }

// Run removes everything in the working tree except .git. A bad config, a path outside the
// workspace and a path that is not a working tree are terminal.
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
	if err := repo.Clear(); err != nil {
		return steps.Result{}, err
	}
	return steps.Result{Message: fmt.Sprintf("cleared %s", cfg.Path)}, nil
}
