package workspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bus"
)

// objects is what a Store needs of the object store.
type objects interface {
	PutBytes(ctx context.Context, name string, data []byte) (*jetstream.ObjectInfo, error)
	Get(ctx context.Context, name string, opts ...jetstream.GetObjectOpt) (jetstream.ObjectResult, error)
	Delete(ctx context.Context, name string) error
}

// ErrRevisionMissing means the object store has no such revision of a workspace: it was
// deleted with its promotion, or lost.
var ErrRevisionMissing = errors.New("workspace revision missing")

// Store checks workspaces out of the object store into a local cache directory. It is safe for
// concurrent use; checkouts of one promotion are serialised.
type Store struct {
	objs objects
	dir  string

	mu    sync.Mutex
	trees map[string]*cached
}

// cached is the local copy of one promotion's workspace.
type cached struct {
	mu  sync.Mutex // held from Checkout to Release
	rev int        // revision the directory holds; -1 when unknown (dirty)
	fp  string     // fingerprint of the directory at rev
}

// New returns a Store keeping its cache under dir.
func New(objs objects, dir string) *Store {
	return &Store{objs: objs, dir: dir, trees: map[string]*cached{}}
}

// ObjectName is the object holding a revision of a promotion's workspace.
func ObjectName(promotion string, rev int) string { return promotion + "/" + strconv.Itoa(rev) }

// Tree is a checked-out workspace. Exactly one of Commit or Discard must be called, then
// Release.
type Tree struct {
	// Dir is the absolute path of the workspace directory.
	Dir string
	// Rev is the revision checked out.
	Rev int

	s         *Store
	promotion string
	c         *cached
}

// Checkout returns the workspace of promotion at revision rev (0 is the empty workspace),
// from the local cache when it holds that revision, else from the object store. The tree is
// locked until Release.
func (s *Store) Checkout(ctx context.Context, promotion string, rev int) (*Tree, error) {
	s.mu.Lock()
	c, ok := s.trees[promotion]
	if !ok {
		c = &cached{rev: -1}
		s.trees[promotion] = c
	}
	s.mu.Unlock()
	c.mu.Lock()
	t := &Tree{Dir: filepath.Join(s.dir, safeName(promotion)), Rev: rev, s: s, promotion: promotion, c: c}
	if c.rev == rev {
		if fp, err := fingerprint(t.Dir); err == nil && fp == c.fp {
			return t, nil
		}
	}
	if err := s.fetch(ctx, t); err != nil {
		c.rev = -1
		c.mu.Unlock()
		return nil, err
	}
	return t, nil
}

// fetch replaces the local directory with revision t.Rev.
func (s *Store) fetch(ctx context.Context, t *Tree) error {
	if err := os.RemoveAll(t.Dir); err != nil {
		return fmt.Errorf("clear workspace cache: %w", err)
	}
	if err := os.MkdirAll(t.Dir, 0o700); err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	if t.Rev > 0 {
		var obj jetstream.ObjectResult
		err := bus.RetryWithin(ctx, 0, func(context.Context) (err error) {
			// ctx rather than the attempt's, which would end while the object is read.
			obj, err = s.objs.Get(ctx, ObjectName(t.promotion, t.Rev))
			return err
		})
		if err != nil {
			if errors.Is(err, jetstream.ErrObjectNotFound) {
				return fmt.Errorf("%w: %s", ErrRevisionMissing, ObjectName(t.promotion, t.Rev))
			}
			return fmt.Errorf("download workspace %s: %w", ObjectName(t.promotion, t.Rev), err)
		}
		err = unpack(obj, t.Dir)
		obj.Close()
		if err != nil {
			return fmt.Errorf("unpack workspace %s: %w", ObjectName(t.promotion, t.Rev), err)
		}
	}
	fp, err := fingerprint(t.Dir)
	if err != nil {
		return err
	}
	t.c.rev, t.c.fp = t.Rev, fp
	return nil
}

// Commit stores the tree as a new revision if it changed since checkout, and returns the
// revision that now describes it.
func (t *Tree) Commit(ctx context.Context) (int, error) {
	// Packed first, fingerprinted on the way: a step that runs Commit has usually changed
	// the tree, and one walk is cheaper than two.
	var buf bytes.Buffer
	fp, err := pack(t.Dir, &buf)
	if err != nil {
		t.c.rev = -1
		return 0, fmt.Errorf("pack workspace: %w", err)
	}
	if fp == t.c.fp {
		return t.Rev, nil
	}
	next := t.Rev + 1
	err = bus.RetryWithin(ctx, 0, func(context.Context) error {
		// ctx rather than the attempt's, so that a large workspace is not cut short; a
		// repeat stores the same bytes under the same name.
		_, err := t.s.objs.PutBytes(ctx, ObjectName(t.promotion, next), buf.Bytes())
		return err
	})
	if err != nil {
		t.c.rev = -1
		return 0, fmt.Errorf("store workspace %s: %w", ObjectName(t.promotion, next), err)
	}
	t.c.rev, t.c.fp = next, fp
	return next, nil
}

// Discard forgets local changes: the next checkout fetches a clean copy.
func (t *Tree) Discard() { t.c.rev = -1 }

// Release unlocks the tree.
func (t *Tree) Release() { t.c.mu.Unlock() }

// Delete removes every stored revision up to last and the local copy of promotion's workspace.
func (s *Store) Delete(ctx context.Context, promotion string, last int) error {
	s.Forget(promotion)
	return DeleteRevisions(ctx, s.objs, promotion, last)
}

// deleter is what DeleteRevisions needs of the object store.
type deleter interface {
	Delete(ctx context.Context, name string) error
}

// DeleteRevisions removes revisions 1 to last of promotion's workspace from the object store.
func DeleteRevisions(ctx context.Context, objs deleter, promotion string, last int) error {
	var errs []error
	for rev := 1; rev <= last; rev++ {
		if err := objs.Delete(ctx, ObjectName(promotion, rev)); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			errs = append(errs, fmt.Errorf("delete workspace %s: %w", ObjectName(promotion, rev), err))
		}
	}
	return errors.Join(errs...)
}

// Forget removes the local copy of promotion's workspace.
func (s *Store) Forget(promotion string) {
	s.mu.Lock()
	c, ok := s.trees[promotion]
	delete(s.trees, promotion)
	s.mu.Unlock()
	if ok {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	_ = os.RemoveAll(filepath.Join(s.dir, safeName(promotion)))
}

// safeName maps a promotion name to one directory name.
func safeName(promotion string) string {
	return filepath.Base(filepath.Clean("/" + promotion))
}
