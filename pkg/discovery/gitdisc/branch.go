package gitdisc

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// discoverBranch walks the branch's first-parent history, newest first, and keeps the commits
// that are not older than since and pass the expression and path filters, up to the limit.
// The recorded branch is empty when the subscription names none (the default branch).
func (s *selection) discoverBranch(ctx context.Context, r *git.Repository) ([]v1.DiscoveredCommit, error) {
	ref, err := r.Reference(s.branch, true)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.branch.Short(), err)
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", ref.Hash(), err)
	}
	var out []v1.DiscoveredCommit
	for c != nil && len(out) < s.limit {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !s.since.IsZero() && c.Committer.When.Before(s.since) {
			break // first-parent history is newest first: the rest is older still
		}
		ok, err := s.keep(ctx, c, map[string]any{
			"id": c.Hash.String(), "commitDate": c.Committer.When, "author": person(c.Author),
			"committer": person(c.Committer), "subject": subject(c.Message),
		})
		if err != nil {
			return nil, err
		}
		if ok {
			d := discovered(c)
			d.Branch = s.sub.Branch
			out = append(out, d)
		}
		if c, err = firstParent(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// keep applies the expression filter to env, then the path filters to c's own changes.
func (s *selection) keep(ctx context.Context, c *object.Commit, env map[string]any) (bool, error) {
	ok, err := s.filter.match(env)
	if err != nil || !ok {
		return false, err
	}
	if !s.paths.active() {
		return true, nil
	}
	paths, err := changedPaths(ctx, c)
	if err != nil {
		return false, fmt.Errorf("diff commit %s: %w", c.Hash, err)
	}
	return s.paths.qualifies(paths), nil
}

// firstParent returns c's first parent, or nil at the root or at the edge of a shallow fetch.
func firstParent(c *object.Commit) (*object.Commit, error) {
	if c.NumParents() == 0 {
		return nil, nil
	}
	p, err := c.Parent(0)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read parent of %s: %w", c.Hash, err)
	}
	return p, nil
}

// changedPaths lists the paths c changes against its first parent (every path of its tree
// for a root commit). Renames are a delete and an add.
func changedPaths(ctx context.Context, c *object.Commit) ([]string, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, err
	}
	parentTree := &object.Tree{}
	if c.NumParents() > 0 {
		p, err := c.Parent(0)
		if err != nil {
			return nil, err
		}
		if parentTree, err = p.Tree(); err != nil {
			return nil, err
		}
	}
	changes, err := object.DiffTreeWithOptions(ctx, parentTree, tree, nil)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, ch := range changes {
		if ch.From.Name != "" {
			paths = append(paths, ch.From.Name)
		}
		if ch.To.Name != "" && ch.To.Name != ch.From.Name {
			paths = append(paths, ch.To.Name)
		}
	}
	return paths, nil
}
