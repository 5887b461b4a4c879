package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/utils/merkletrie"
)

// ErrNotLinear means a commit to push through an API is a merge: only a straight line of
// commits can be recreated one by one.
var ErrNotLinear = errors.New("a merge commit cannot be recreated through the API")

// FileChange is one file a commit changed from its parent.
type FileChange struct {
	Path string
	// Mode is the file's Git mode: 100644, 100755 or 120000 (a symbolic link).
	Mode string
	// Content is the file's new content; nil when Deleted.
	Content []byte
	Deleted bool
}

// OutgoingCommit is a local commit the remote does not have, as a Git hosting API recreates
// it: its message, its author and what it changed.
type OutgoingCommit struct {
	SHA, Message            string
	AuthorName, AuthorEmail string
	Changes                 []FileChange
}

// Outgoing is what pushing HEAD to a branch through an API must recreate.
type Outgoing struct {
	// Base is the remote commit the first outgoing commit builds on (HEAD when there is
	// nothing to push).
	Base string
	// Remote is the branch's commit on the remote; "" when the remote has no such branch.
	Remote string
	// Commits are the local commits above Base, oldest first.
	Commits []OutgoingCommit
}

// Outgoing fetches branch and, unless force, integrates its new commits into HEAD as Push
// does (replaying the local commits onto it), then returns the local commits the remote does
// not have, oldest first, with the remote commit they build on. A merge among them wraps
// ErrNotLinear; a conflict while integrating is a *ConflictError. The working tree must have
// no uncommitted changes.
func (r *Repo) Outgoing(ctx context.Context, branch string, force bool) (Outgoing, error) {
	var out Outgoing
	if force {
		if _, err := r.fetch(ctx, branch); err != nil {
			return out, err
		}
	} else if err := r.integrate(ctx, branch); err != nil {
		return out, err
	}
	if ref, err := r.repo.Reference(plumbing.NewRemoteReferenceName(remoteName, branch), true); err == nil {
		out.Remote = ref.Hash().String()
	}
	known, err := r.remoteTips()
	if err != nil {
		return out, err
	}
	head, err := r.repo.Head()
	if err != nil {
		return out, fmt.Errorf("read HEAD of %s: %w", r.dir, err)
	}
	chain, err := r.localChain(head.Hash(), known)
	if err != nil {
		return out, err
	}
	out.Base = head.Hash().String()
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		if len(c.ParentHashes) != 1 {
			return out, fmt.Errorf("commit %s: %w", c.Hash, ErrNotLinear)
		}
		if i == len(chain)-1 {
			out.Base = c.ParentHashes[0].String()
		}
		changes, err := r.changes(c)
		if err != nil {
			return out, fmt.Errorf("commit %s: %w", c.Hash, err)
		}
		out.Commits = append(out.Commits, OutgoingCommit{
			SHA: c.Hash.String(), Message: c.Message, AuthorName: c.Author.Name, AuthorEmail: c.Author.Email, Changes: changes,
		})
	}
	return out, nil
}

// changes lists what c changed from its first parent.
func (r *Repo) changes(c *object.Commit) ([]FileChange, error) {
	parent, err := r.repo.CommitObject(c.ParentHashes[0])
	if err != nil {
		return nil, err
	}
	from, err := parent.Tree()
	if err != nil {
		return nil, err
	}
	to, err := c.Tree()
	if err != nil {
		return nil, err
	}
	diff, err := object.DiffTree(from, to)
	if err != nil {
		return nil, err
	}
	var out []FileChange
	for _, ch := range diff {
		action, err := ch.Action()
		if err != nil {
			return nil, err
		}
		if action == merkletrie.Delete {
			out = append(out, FileChange{Path: ch.From.Name, Mode: modeString(ch.From.TreeEntry.Mode), Deleted: true})
			continue
		}
		mode := ch.To.TreeEntry.Mode
		if mode == filemode.Submodule {
			return nil, fmt.Errorf("%s is a submodule, which cannot be pushed through the API", ch.To.Name)
		}
		blob, err := r.repo.BlobObject(ch.To.TreeEntry.Hash)
		if err != nil {
			return nil, err
		}
		rd, err := blob.Reader()
		if err != nil {
			return nil, err
		}
		content, err := io.ReadAll(rd)
		rd.Close()
		if err != nil {
			return nil, err
		}
		if action == merkletrie.Modify && ch.From.Name != ch.To.Name {
			out = append(out, FileChange{Path: ch.From.Name, Mode: modeString(ch.From.TreeEntry.Mode), Deleted: true})
		}
		out = append(out, FileChange{Path: ch.To.Name, Mode: modeString(mode), Content: content})
	}
	return out, nil
}

func modeString(m filemode.FileMode) string {
	switch m {
	case filemode.Executable:
		return "100755"
	case filemode.Symlink:
		return "120000"
	}
	return "100644"
}

// SyncTo fetches branch and moves HEAD, the index and the working tree to its commit, which
// it returns: after commits were recreated on the remote through an API, the local branch
// then holds them, as after a push. Untracked files stay.
func (r *Repo) SyncTo(ctx context.Context, branch string) (string, error) {
	remote, err := r.fetch(ctx, branch)
	if err != nil {
		return "", err
	}
	if remote.IsZero() {
		return "", fmt.Errorf("sync to %s: %w", branch, ErrBranchNotFound)
	}
	w, err := r.repo.Worktree()
	if err != nil {
		return "", err
	}
	untracked, err := checkClean(w)
	if err != nil {
		return "", err
	}
	if err := r.moveTo(w, remote, untracked); err != nil {
		return "", err
	}
	return remote.String(), nil
}
