package gitrepo

import (
	"fmt"
	"os"

	"github.com/go-git/go-git/v5"
)

// Clear removes every file and directory of the working tree, tracked or not, except .git,
// and stages the removals, like `git rm -rf . && git clean -fdx`. HEAD does not move: a
// commit afterwards records an empty tree, or what was written in the meantime. Symbolic
// links are removed, never followed. Clearing an empty working tree does nothing.
func (r *Repo) Clear() error {
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return fmt.Errorf("clear %s: %w", r.dir, err)
	}
	defer func() { _ = root.Close() }()
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return fmt.Errorf("clear %s: %w", r.dir, err)
	}
	for _, e := range entries {
		if e.Name() == ".git" {
			continue
		}
		if err := root.RemoveAll(e.Name()); err != nil {
			return fmt.Errorf("clear %s: %w", r.dir, err)
		}
	}
	w, b, err := r.batchWorktree()
	if err != nil {
		return fmt.Errorf("clear %s: %w", r.dir, err)
	}
	if err := w.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return fmt.Errorf("clear %s: stage removals: %w", r.dir, err)
	}
	if err := b.flush(); err != nil {
		return fmt.Errorf("clear %s: %w", r.dir, err)
	}
	return nil
}
