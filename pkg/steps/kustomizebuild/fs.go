package kustomizebuild

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/drayhq/dray/pkg/steps"
)

// errReadOnly is what a kustomization gets when the build tries to write.
var errReadOnly = errors.New("the workspace is read-only during a kustomize build")

// workspaceFS is the file system a build sees: the disk, read-only, and only inside root.
// Every path is resolved (symlinks followed) before it is used, so a kustomization cannot
// read outside the workspace.
type workspaceFS struct {
	disk filesys.FileSystem
	root string
}

var _ filesys.FileSystem = workspaceFS{}

func newWorkspaceFS(root string) workspaceFS {
	return workspaceFS{disk: filesys.MakeFsOnDisk(), root: root}
}

// check returns p resolved inside the workspace, or an error wrapping steps.ErrPathEscape.
func (w workspaceFS) check(p string) (string, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(w.root, p)
	}
	rel, err := filepath.Rel(w.root, p)
	if err != nil {
		return "", fmt.Errorf("%w: %q", steps.ErrPathEscape, p)
	}
	return steps.SecurePath(w.root, rel)
}

func (w workspaceFS) Create(p string) (filesys.File, error) {
	return nil, fmt.Errorf("create %s: %w", p, errReadOnly)
}
func (w workspaceFS) Mkdir(p string) error    { return fmt.Errorf("mkdir %s: %w", p, errReadOnly) }
func (w workspaceFS) MkdirAll(p string) error { return fmt.Errorf("mkdir %s: %w", p, errReadOnly) }
func (w workspaceFS) RemoveAll(p string) error {
	return fmt.Errorf("remove %s: %w", p, errReadOnly)
}
func (w workspaceFS) WriteFile(p string, _ []byte) error {
	return fmt.Errorf("write %s: %w", p, errReadOnly)
}

func (w workspaceFS) Open(p string) (filesys.File, error) {
	real, err := w.check(p)
	if err != nil {
		return nil, err
	}
	return w.disk.Open(real)
}

func (w workspaceFS) IsDir(p string) bool {
	real, err := w.check(p)
	return err == nil && w.disk.IsDir(real)
}

func (w workspaceFS) ReadDir(p string) ([]string, error) {
	real, err := w.check(p)
	if err != nil {
		return nil, err
	}
	return w.disk.ReadDir(real)
}

func (w workspaceFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if _, err := w.check(p); err != nil {
		return "", "", err
	}
	return w.disk.CleanedAbs(p)
}

func (w workspaceFS) Exists(p string) bool {
	real, err := w.check(p)
	return err == nil && w.disk.Exists(real)
}

// Glob returns the matches of pattern that lie inside the workspace.
func (w workspaceFS) Glob(pattern string) ([]string, error) {
	all, err := w.disk.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var in []string
	for _, m := range all {
		if _, err := w.check(m); err == nil {
			in = append(in, m)
		}
	}
	return in, nil
}

func (w workspaceFS) ReadFile(p string) ([]byte, error) {
	real, err := w.check(p)
	if err != nil {
		return nil, err
	}
	return w.disk.ReadFile(real)
}

func (w workspaceFS) Walk(p string, fn filepath.WalkFunc) error {
	if _, err := w.check(p); err != nil {
		return err
	}
	return w.disk.Walk(p, func(path string, info fs.FileInfo, err error) error {
		if err == nil {
			if _, cerr := w.check(path); cerr != nil {
				return cerr
			}
		}
		return fn(path, info, err)
	})
}
