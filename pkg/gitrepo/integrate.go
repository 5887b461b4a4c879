package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// maxLocalCommits bounds the walk for local commits; a longer first-parent chain without a
// commit known to come from the remote is treated as if it ended there.
const maxLocalCommits = 10000

// integrate brings the remote branch's new commits into HEAD, the AlwaysRebase way: it fetches
// the branch, replays the local commits that are not on it onto its head, and leaves HEAD (the
// checked-out branch, or the detached HEAD), the index and the working tree at the result;
// untracked files stay. A missing remote branch leaves everything as it was.
func (r *Repo) integrate(ctx context.Context, branch string) error {
	w, err := r.repo.Worktree()
	if err != nil {
		return err
	}
	untracked, err := checkClean(w)
	if err != nil {
		return err
	}
	// Commits the remote had before this fetch: the local commits are those above them.
	known, err := r.remoteTips()
	if err != nil {
		return err
	}
	remote, err := r.fetch(ctx, branch)
	if err != nil || remote.IsZero() {
		return err
	}
	head, err := r.repo.Head()
	if err != nil {
		return err
	}
	if head.Hash() == remote {
		return nil
	}
	chain, err := r.localChain(head.Hash(), known)
	if err != nil {
		return err
	}
	onRemote, err := r.ancestorsAmong(remote, chain, known)
	if err != nil {
		return err
	}
	// Replay, oldest first, the local commits above the newest one the remote has.
	var replay []*object.Commit
	for _, c := range chain {
		if onRemote[c.Hash] {
			break
		}
		replay = append([]*object.Commit{c}, replay...)
	}
	base := remote
	for _, c := range replay {
		if base, err = r.replay(c, base); err != nil {
			return err
		}
	}
	return r.moveTo(w, base, untracked)
}

// fetch updates refs/remotes/origin/<branch> and returns its commit, or the zero hash when
// the remote has no such branch. From a shallow clone this fetches the remote commits since
// the shallow boundary, enough to tell which local commits the remote already has.
func (r *Repo) fetch(ctx context.Context, branch string) (plumbing.Hash, error) {
	auth, err := r.remoteAuth(ctx)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tracking := plumbing.NewRemoteReferenceName(remoteName, branch)
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", plumbing.NewBranchReferenceName(branch), tracking))
	err = r.repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName:      remoteName,
		RefSpecs:        []config.RefSpec{spec},
		Auth:            auth,
		InsecureSkipTLS: r.insecure,
		Tags:            git.NoTags,
	})
	var noMatch git.NoMatchingRefSpecError
	switch {
	case errors.As(err, &noMatch):
		return plumbing.ZeroHash, nil
	case err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate):
		return plumbing.ZeroHash, fmt.Errorf("fetch %s: %w", branch, err)
	}
	ref, err := r.repo.Reference(tracking, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("fetch %s: %w", branch, err)
	}
	return ref.Hash(), nil
}

// remoteTips returns the commits known to be on the remote: remote-tracking branches, tags
// and the shallow boundary.
func (r *Repo) remoteTips() (map[plumbing.Hash]bool, error) {
	tips := map[plumbing.Hash]bool{}
	refs, err := r.repo.References()
	if err != nil {
		return nil, err
	}
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference && (ref.Name().IsRemote() || ref.Name().IsTag()) {
			tips[ref.Hash()] = true
			if tag, err := r.repo.TagObject(ref.Hash()); err == nil {
				tips[tag.Target] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	shallow, err := r.repo.Storer.Shallow()
	if err != nil {
		return nil, err
	}
	for _, h := range shallow {
		tips[h] = true
	}
	return tips, nil
}

// localChain returns HEAD's first-parent chain, newest first, down to (excluding) the first
// commit known to be on the remote, or to the end of the local history.
func (r *Repo) localChain(head plumbing.Hash, known map[plumbing.Hash]bool) ([]*object.Commit, error) {
	var chain []*object.Commit
	for h := head; !known[h] && len(chain) < maxLocalCommits; {
		c, err := r.repo.CommitObject(h)
		if err != nil {
			return nil, fmt.Errorf("read local commit %s: %w", h, err)
		}
		chain = append(chain, c)
		if len(c.ParentHashes) == 0 {
			break
		}
		h = c.ParentHashes[0]
		if _, err := r.repo.Storer.EncodedObject(plumbing.CommitObject, h); err != nil {
			break // beyond the shallow boundary
		}
	}
	return chain, nil
}

// ancestorsAmong reports which of the chain's commits are reachable from remote. The walk
// stops at commits known before the fetch, at chain commits and where history is missing, so
// it only covers what the remote gained.
func (r *Repo) ancestorsAmong(remote plumbing.Hash, chain []*object.Commit, known map[plumbing.Hash]bool) (map[plumbing.Hash]bool, error) {
	inChain := make(map[plumbing.Hash]bool, len(chain))
	for _, c := range chain {
		inChain[c.Hash] = true
	}
	found := map[plumbing.Hash]bool{}
	seen := map[plumbing.Hash]bool{remote: true}
	queue := []plumbing.Hash{remote}
	for len(queue) > 0 {
		if len(seen) > 1_000_000 {
			return nil, errors.New("remote history too long to search for local commits")
		}
		h := queue[0]
		queue = queue[1:]
		if inChain[h] {
			found[h] = true
			continue
		}
		if known[h] {
			continue
		}
		c, err := r.repo.CommitObject(h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, p := range c.ParentHashes {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	// A chain commit reachable from remote makes its ancestors reachable too.
	for i, c := range chain {
		if found[c.Hash] {
			for _, older := range chain[i:] {
				found[older.Hash] = true
			}
			break
		}
	}
	return found, nil
}

// replay applies the changes commit c made to its first parent onto base, and returns the new
// commit, or base when the changes are already there.
func (r *Repo) replay(c *object.Commit, base plumbing.Hash) (plumbing.Hash, error) {
	from := &object.Tree{}
	if len(c.ParentHashes) > 0 {
		parent, err := r.repo.CommitObject(c.ParentHashes[0])
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read parent of %s: %w", c.Hash, err)
		}
		if from, err = parent.Tree(); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	to, err := c.Tree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	baseCommit, err := r.repo.CommitObject(base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	baseTree, err := baseCommit.Tree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tree, err := r.applyChanges(from, to, baseTree)
	if err != nil {
		var conflict *ConflictError
		if errors.As(err, &conflict) {
			conflict.Commit = c.Hash.String()
		}
		return plumbing.ZeroHash, err
	}
	if tree == baseCommit.TreeHash {
		return base, nil // already upstream
	}
	author, err := r.Author()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return storeCommit(r.repo.Storer, &object.Commit{
		Author:       c.Author,
		Committer:    object.Signature{Name: author.Name, Email: author.Email, When: time.Now()},
		Message:      c.Message,
		TreeHash:     tree,
		ParentHashes: []plumbing.Hash{base},
	})
}

// checkClean fails when tracked files have uncommitted changes, and returns the untracked
// files.
func checkClean(w *git.Worktree) (untracked map[string]bool, err error) {
	st, err := w.Status()
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	untracked = map[string]bool{}
	for path, s := range st {
		if s.Worktree == git.Untracked {
			untracked[path] = true
			continue
		}
		if s.Staging != git.Unmodified || s.Worktree != git.Unmodified {
			return nil, fmt.Errorf("%w: %s", ErrDirtyWorktree, path)
		}
	}
	return untracked, nil
}
