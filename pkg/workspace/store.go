package workspace

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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
//
// The cache holds at most MaxCached workspaces: past it, a checkout drops the least recently
// used ones that nobody holds (their next checkout downloads them again). Executors also
// Forget a promotion's workspace once it ends.
type Store struct {
	objs objects
	dir  string
	key  []byte // encrypts every revision; nil stores them in clear

	mu    sync.Mutex
	trees map[string]*cached
	tick  uint64 // counts checkouts, to order them
}

// MaxCached is how many promotions' workspaces a Store keeps locally.
const MaxCached = 256

// cached is the local copy of one promotion's workspace. Its directory is removed only while
// mu is held and before the entry leaves the Store's map, so a checkout never finds an entry
// whose directory another is removing.
type cached struct {
	mu        sync.Mutex // held from Checkout to Release
	promotion string
	rev       int    // revision the directory holds; -1 when unknown (dirty)
	fp        string // fingerprint of the directory at rev
	used      uint64 // Store.tick at the last checkout
}

// New returns a Store keeping its cache under dir. It returns an error for an invalid option.
func New(objs objects, dir string, opts ...Option) (*Store, error) {
	s := &Store{objs: objs, dir: dir, trees: map[string]*cached{}}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Option configures a Store.
type Option func(*Store) error

// WithKey encrypts every revision the Store stores, and accepts only revisions encrypted
// with the same key, bound to their promotion and revision (see encrypt.go). key is KeySize
// bytes; Dray derives it from the secrets key (secret.Store.WorkspaceKey). An empty key
// leaves revisions in clear. Default: no key.
func WithKey(key []byte) Option {
	return func(s *Store) error {
		switch len(key) {
		case 0:
			s.key = nil
		case KeySize:
			s.key = bytes.Clone(key)
		default:
			return fmt.Errorf("workspace key: want %d bytes, got %d", KeySize, len(key))
		}
		return nil
	}
}

// Cached reports how many promotions' workspaces the Store keeps locally.
func (s *Store) Cached() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.trees)
}

// hold returns promotion's cache entry, locked and still in the Store (a Forget or an
// eviction may remove the entry while a checkout waits for it).
func (s *Store) hold(promotion string) *cached {
	for {
		s.mu.Lock()
		c, ok := s.trees[promotion]
		if !ok {
			c = &cached{promotion: promotion, rev: -1}
			s.trees[promotion] = c
		}
		s.tick++
		c.used = s.tick
		s.mu.Unlock()
		c.mu.Lock()
		s.mu.Lock()
		current := s.trees[promotion] == c
		s.mu.Unlock()
		if current {
			return c
		}
		c.mu.Unlock()
	}
}

// evict drops the least recently used workspaces past MaxCached that nobody holds, sparing
// keep.
func (s *Store) evict(keep *cached) {
	s.mu.Lock()
	over := len(s.trees) - MaxCached
	var victims []*cached
	if over > 0 {
		for _, c := range s.trees {
			if c != keep {
				victims = append(victims, c)
			}
		}
		slices.SortFunc(victims, func(a, b *cached) int { return cmp.Compare(a.used, b.used) })
	}
	s.mu.Unlock()
	for _, c := range victims {
		if over <= 0 {
			return
		}
		if c.mu.TryLock() {
			s.drop(c)
			c.mu.Unlock()
			over--
		}
	}
}

// drop removes c's directory and entry; c.mu is held.
func (s *Store) drop(c *cached) {
	_ = os.RemoveAll(filepath.Join(s.dir, safeName(c.promotion)))
	c.rev, c.fp = -1, ""
	s.mu.Lock()
	if s.trees[c.promotion] == c {
		delete(s.trees, c.promotion)
	}
	s.mu.Unlock()
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
	c := s.hold(promotion)
	s.evict(c)
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
		err = s.restore(obj, ObjectName(t.promotion, t.Rev), t.Dir)
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
	next := t.Rev + 1
	var buf bytes.Buffer
	fp, err := t.s.archive(t.Dir, ObjectName(t.promotion, next), &buf)
	if err != nil {
		t.c.rev = -1
		return 0, fmt.Errorf("pack workspace: %w", err)
	}
	if fp == t.c.fp {
		return t.Rev, nil
	}
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

// archive packs dir into w as the object name, encrypted when the Store has a key, and
// returns dir's fingerprint.
func (s *Store) archive(dir, name string, w io.Writer) (string, error) {
	if s.key == nil {
		return pack(dir, w)
	}
	sw, err := newSealer(w, s.key, name)
	if err != nil {
		return "", err
	}
	fp, err := pack(dir, sw)
	if cerr := sw.Close(); err == nil {
		err = cerr
	}
	return fp, err
}

// restore unpacks the object name, read from r, into dir. With a key it accepts only an
// archive encrypted for name with that key, without one only a clear one.
func (s *Store) restore(r io.Reader, name, dir string) error {
	head := make([]byte, len(magic))
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	encrypted := n == len(magic) && string(head) == magic
	switch {
	case encrypted && s.key == nil:
		return ErrEncrypted
	case !encrypted && s.key != nil:
		if n >= 2 && head[0] == 0x1f && head[1] == 0x8b { // gzip: a clear archive
			return ErrNotEncrypted
		}
		return ErrDamaged
	case !encrypted:
		return unpack(io.MultiReader(bytes.NewReader(head[:n]), r), dir)
	}
	or, err := newOpener(r, s.key, name)
	if err != nil {
		return err
	}
	defer or.Close()
	if err := unpack(or, dir); err != nil {
		return err
	}
	// The tar ends before the last chunk may have been read: that chunk proves that the
	// archive was not cut short.
	_, err = io.Copy(io.Discard, or)
	return err
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

// Forget removes the local copy of promotion's workspace, once whoever holds it released it.
// A directory an earlier process left is removed as well.
func (s *Store) Forget(promotion string) {
	c := s.hold(promotion)
	defer c.mu.Unlock()
	s.drop(c)
}

// safeName maps a promotion name to one directory name.
func safeName(promotion string) string {
	return filepath.Base(filepath.Clean("/" + promotion))
}
