package gitrepo

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// moveTo points HEAD (its branch, or HEAD itself when detached) and the index at commit, and
// updates the files that differ between the current HEAD and commit, like `git reset --keep`.
// Untracked and ignored files are kept (go-git's hard reset would delete them); an untracked
// file where commit has one is an error wrapping ErrDirtyWorktree. The working tree must have
// no uncommitted changes to tracked files.
func (r *Repo) moveTo(w *git.Worktree, commit plumbing.Hash, untracked map[string]bool) error {
	head, err := r.repo.Head()
	if err != nil {
		return err
	}
	before, err := r.filesOf(head.Hash())
	if err != nil {
		return err
	}
	after, err := r.filesOf(commit)
	if err != nil {
		return err
	}
	var removed, written []string
	for p, f := range before {
		if g, ok := after[p]; !ok {
			removed = append(removed, p)
		} else if g != f {
			written = append(written, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			if untracked[p] {
				return fmt.Errorf("%w: untracked %s would be overwritten", ErrDirtyWorktree, p)
			}
			written = append(written, p)
		}
	}
	for _, p := range append(append([]string(nil), removed...), written...) {
		if p == ".git" || strings.HasPrefix(p, ".git/") || !fs.ValidPath(p) {
			return fmt.Errorf("refusing to write %q into the working tree", p)
		}
	}

	if err := w.Reset(&git.ResetOptions{Commit: commit, Mode: git.MixedReset}); err != nil {
		return fmt.Errorf("move HEAD to %s: %w", commit, err)
	}
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	sort.Strings(removed)
	for _, p := range removed {
		if err := root.RemoveAll(p); err != nil {
			return fmt.Errorf("remove %s: %w", p, err)
		}
		removeEmptyParents(root, p)
	}
	sort.Strings(written)
	for _, p := range written {
		if err := r.writeFile(root, p, after[p]); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

func (r *Repo) filesOf(commit plumbing.Hash) (map[string]file, error) {
	c, err := r.repo.CommitObject(commit)
	if err != nil {
		return nil, err
	}
	t, err := c.Tree()
	if err != nil {
		return nil, err
	}
	return flatten(t)
}

// writeFile puts the blob, symlink or submodule directory f at p, replacing what is there.
func (r *Repo) writeFile(root *os.Root, p string, f file) error {
	if dir := path.Dir(p); dir != "." {
		// A file may stand where a directory is now needed.
		for d := dir; d != "."; d = path.Dir(d) {
			if fi, err := root.Lstat(d); err == nil && !fi.IsDir() {
				if err := root.Remove(d); err != nil {
					return err
				}
				break
			}
		}
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := root.RemoveAll(p); err != nil {
		return err
	}
	if f.mode == filemode.Submodule {
		return root.Mkdir(p, 0o755)
	}
	content, err := readBlob(r.repo.Storer, f.hash)
	if err != nil {
		return err
	}
	switch f.mode {
	case filemode.Symlink:
		return root.Symlink(string(content), p)
	case filemode.Executable:
		return root.WriteFile(p, content, 0o755)
	}
	return root.WriteFile(p, content, 0o644)
}

// removeEmptyParents removes the directories above p that became empty, as git does.
func removeEmptyParents(root *os.Root, p string) {
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		if root.Remove(d) != nil { // fails unless empty
			return
		}
	}
}
