package gitrepo

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// rescanning is a repository's storage that, as git does, looks for new packfiles when an
// object is missing. go-git indexes the packfiles once, so without it a Repo would not see
// the objects that another Repo or process packed meanwhile: a commit (Commit writes a
// packfile) or a fetch.
type rescanning struct {
	*filesystem.Storage
	packDir string
	indexed time.Time // modification time of packDir when last reindexed
}

// rescanOnMiss returns repo on a rescanning storage, or repo itself when its storage is not
// a local .git directory.
func rescanOnMiss(repo *git.Repository) (*git.Repository, error) {
	s, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return repo, nil
	}
	w, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	dir := s.Filesystem().Root()
	return git.Open(&rescanning{Storage: s, packDir: filepath.Join(dir, "objects", "pack")}, w.Filesystem)
}

// rescan reindexes the packfiles if their directory changed since the last time, and reports
// whether it did.
func (s *rescanning) rescan() bool {
	fi, err := os.Stat(s.packDir)
	if err != nil || fi.ModTime().Equal(s.indexed) {
		return false
	}
	s.indexed = fi.ModTime()
	s.Reindex()
	return true
}

func (s *rescanning) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	o, err := s.Storage.EncodedObject(t, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) && s.rescan() {
		return s.Storage.EncodedObject(t, h)
	}
	return o, err
}

func (s *rescanning) DeltaObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	o, err := s.Storage.DeltaObject(t, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) && s.rescan() {
		return s.Storage.DeltaObject(t, h)
	}
	return o, err
}

func (s *rescanning) HasEncodedObject(h plumbing.Hash) error {
	err := s.Storage.HasEncodedObject(h)
	if errors.Is(err, plumbing.ErrObjectNotFound) && s.rescan() {
		return s.Storage.HasEncodedObject(h)
	}
	return err
}

func (s *rescanning) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	n, err := s.Storage.EncodedObjectSize(h)
	if errors.Is(err, plumbing.ErrObjectNotFound) && s.rescan() {
		return s.Storage.EncodedObjectSize(h)
	}
	return n, err
}
