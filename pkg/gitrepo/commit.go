package gitrepo

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Commit stages every change in the working tree (additions, modifications, deletions) and
// commits it with message. author overrides the working tree's identity (Author) when not nil;
// its empty fields fall back to that identity. When nothing differs from HEAD no commit is made:
// Commit returns the HEAD SHA and created = false.
//
// The new objects are written as one packfile, before the index and the branch are updated.
func (r *Repo) Commit(message string, author *Author) (sha string, created bool, err error) {
	w, b, err := r.batchWorktree()
	if err != nil {
		return "", false, fmt.Errorf("commit in %s: %w", r.dir, err)
	}
	if err := w.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return "", false, fmt.Errorf("stage changes in %s: %w", r.dir, err)
	}
	who, err := r.Author()
	if err != nil {
		return "", false, err
	}
	if author != nil {
		if author.Name != "" {
			who.Name = author.Name
		}
		if author.Email != "" {
			who.Email = author.Email
		}
	}
	sig := &object.Signature{Name: who.Name, Email: who.Email, When: time.Now()}
	h, err := w.Commit(message, &git.CommitOptions{Author: sig, Committer: sig})
	if errors.Is(err, git.ErrEmptyCommit) {
		if err := b.flush(); err != nil { // the index, with fresh file stats
			return "", false, fmt.Errorf("commit in %s: %w", r.dir, err)
		}
		head, err := r.Head()
		return head, false, err
	}
	if err == nil {
		err = b.flush() // done by the branch update already; kept for the invariant
	}
	if err != nil {
		return "", false, fmt.Errorf("commit in %s: %w", r.dir, err)
	}
	return h.String(), true, nil
}

// batchWorktree returns the working tree on a batch over the repository's storage: what is
// written through it reaches the disk when the batch is flushed or a reference is updated.
func (r *Repo) batchWorktree() (*git.Worktree, *batch, error) {
	w, err := r.repo.Worktree()
	if err != nil {
		return nil, nil, err
	}
	b := newBatch(r.repo.Storer)
	repo, err := git.Open(b, w.Filesystem)
	if err != nil {
		return nil, nil, err
	}
	w, err = repo.Worktree()
	if err != nil {
		return nil, nil, err
	}
	return w, b, nil
}
