package gitrepo

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// PushBase returns the commit that pushing HEAD to branch would build on, as far as this clone
// knows, without contacting the remote: refs/remotes/origin/<branch> as last fetched (Clone
// records it, Push updates it when it integrates); else, for a branch this clone never fetched,
// the newest commit on HEAD's first-parent chain known to be on the remote (a remote-tracking
// branch, a tag or the shallow boundary). It returns "" when there is none: then everything
// in HEAD would be new. It is what dray run --diff compares HEAD with.
func (r *Repo) PushBase(branch string) (string, error) {
	ref, err := r.repo.Reference(plumbing.NewRemoteReferenceName(remoteName, branch), true)
	switch {
	case err == nil:
		return ref.Hash().String(), nil
	case !errors.Is(err, plumbing.ErrReferenceNotFound):
		return "", fmt.Errorf("read remote-tracking branch %s in %s: %w", branch, r.dir, err)
	}
	known, err := r.remoteTips()
	if err != nil {
		return "", fmt.Errorf("list remote commits in %s: %w", r.dir, err)
	}
	head, err := r.repo.Head()
	if err != nil {
		return "", fmt.Errorf("read HEAD of %s: %w", r.dir, err)
	}
	h := head.Hash()
	for range maxLocalCommits {
		if known[h] {
			return h.String(), nil
		}
		c, err := r.repo.CommitObject(h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return "", nil // history ends here (shallow)
		}
		if err != nil {
			return "", fmt.Errorf("read commit %s in %s: %w", h, r.dir, err)
		}
		if len(c.ParentHashes) == 0 {
			return "", nil
		}
		h = c.ParentHashes[0]
	}
	return "", nil
}

// Diff returns what changes from commit from to commit to as a unified diff in git's
// "diff --git" format (renames detected as git does by default); "" when the trees are equal.
// An empty from stands for the empty tree, so every file of to shows as added. Both commits
// must be in the clone.
func (r *Repo) Diff(ctx context.Context, from, to string) (string, error) {
	var trees [2]*object.Tree
	for i, sha := range []string{from, to} {
		if sha == "" && i == 0 {
			continue
		}
		c, err := r.repo.CommitObject(plumbing.NewHash(sha))
		if err != nil {
			return "", fmt.Errorf("diff %s..%s in %s: read commit %s: %w", short(from), short(to), r.dir, short(sha), err)
		}
		if trees[i], err = c.Tree(); err != nil {
			return "", fmt.Errorf("diff %s..%s in %s: read tree of %s: %w", short(from), short(to), r.dir, short(sha), err)
		}
	}
	changes, err := object.DiffTreeWithOptions(ctx, trees[0], trees[1], object.DefaultDiffTreeOptions)
	if err != nil {
		return "", fmt.Errorf("diff %s..%s in %s: %w", short(from), short(to), r.dir, err)
	}
	patch, err := changes.PatchContext(ctx)
	if err != nil {
		return "", fmt.Errorf("diff %s..%s in %s: %w", short(from), short(to), r.dir, err)
	}
	return patch.String(), nil
}
