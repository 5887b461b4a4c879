package gitcommit

import (
	"context"
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
)

// Step is the git-commit step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the git-commit step.
func New() *Step { return &Step{} }

// Info names the step and its executor.
func (*Step) Info() steps.Info { return steps.Info{Name: "git-commit", Executor: "git"} }

// Run commits every change in the working tree and outputs commit. A bad config, a path
// outside the workspace and a path that is not a working tree are terminal.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, "git-commit")
	if err != nil {
		return steps.Result{}, err
	}
	var author *gitrepo.Author
	if cfg.Author != nil {
		if cfg.Author.SigningKey != "" {
			return steps.Result{}, steps.Terminal(fmt.Errorf("step %q (git-commit): %w: config.author.signingKey: commit signing is not supported yet", sc.Alias, steps.ErrInvalidConfig))
		}
		author = &gitrepo.Author{Name: cfg.Author.Name, Email: cfg.Author.Email}
	}
	dir, err := sc.Path(cfg.Path)
	if err != nil {
		return steps.Result{}, steps.Terminal(fmt.Errorf("config.path: %w", err))
	}
	repo, err := gitrepo.Open(dir, nil)
	if err != nil {
		if errors.Is(err, gitrepo.ErrNotRepository) {
			return steps.Result{}, steps.Terminal(steps.Reasoned("NotARepository", fmt.Errorf("config.path %q: %w", cfg.Path, err)))
		}
		return steps.Result{}, err
	}
	if err := ctx.Err(); err != nil { // the commit itself cannot be interrupted
		return steps.Result{}, err
	}
	sha, created, err := repo.Commit(cfg.Message, author)
	if err != nil {
		return steps.Result{}, err
	}
	res := steps.Result{Outputs: map[string]any{"commit": sha}}
	if created {
		res.Message = fmt.Sprintf("committed %s in %s", sha, cfg.Path)
	} else {
		res.Status = steps.StatusSkipped
		res.Message = fmt.Sprintf("nothing to commit in %s", cfg.Path)
	}
	return res, nil
}
