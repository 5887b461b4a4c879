package gitrepo

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// DefaultCacheEntries is how many commits a Cache keeps per repository unless
// WithCacheEntries says otherwise.
const DefaultCacheEntries = 8

// staleTemp is the age after which a temporary file in the cache, left by a process that
// died while writing it, is removed.
const staleTemp = 10 * time.Minute

// snapshotMagic starts every snapshot file; the index's size follows.
const snapshotMagic = "dray-clone-snapshot 1 "

// Cache keeps depth-1 snapshots of commits per remote repository, so that a clone of a commit
// it holds needs no fetch. A snapshot is what a depth-1 fetch of the commit brings: a
// packfile holding the commit, its tree and its files. Clone fills the cache with what it
// fetches and Push with what it pushes; see CloneOptions.Cache and PushOptions.Cache.
//
// Snapshots are keyed by the remote's URL (scheme and host lowercased; user info, a trailing
// slash and ".git" dropped) and the commit SHA. Clone takes a snapshot only for the commit the
// remote has just advertised for the branch to the caller, with the caller's credentials; so
// the cache never hands out anything the caller could not fetch, and what was fetched from or
// pushed to one remote is never served for another.
//
// A Cache is safe for concurrent use, and several processes may share its directory: every
// snapshot is written aside and renamed into place. A snapshot that cannot be used is a miss:
// Clone fetches. The zero value is not usable; call NewCache.
type Cache struct {
	dir     string
	entries int
}

// CacheOption configures a Cache.
type CacheOption func(*Cache)

// WithCacheEntries sets how many commits the cache keeps per repository; the least recently
// used go first. Values below 1 make NewCache fail. Default DefaultCacheEntries (8).
func WithCacheEntries(n int) CacheOption { return func(c *Cache) { c.entries = n } }

// NewCache returns a Cache keeping its snapshots under dir, which is created (mode 0700) if
// missing.
func NewCache(dir string, opts ...CacheOption) (*Cache, error) {
	c := &Cache{dir: dir, entries: DefaultCacheEntries}
	for _, o := range opts {
		o(c)
	}
	if c.entries < 1 {
		return nil, fmt.Errorf("clone cache %s: entries per repository must be at least 1, not %d", dir, c.entries)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("clone cache: %w", err)
	}
	return c, nil
}

// Dir returns the directory holding the snapshots.
func (c *Cache) Dir() string { return c.dir }

// cacheKey names the directory of a remote's snapshots: a hash of its normalised URL, so that
// no URL, nor credentials in it, appears on disk.
func cacheKey(url string) string {
	sum := sha256.Sum256([]byte(normalURL(url)))
	return hex.EncodeToString(sum[:16])
}

// normalURL returns url with scheme and host lowercased, and without user info, a trailing
// slash and ".git", so that the spellings of one remote give one string.
func normalURL(url string) string {
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return url
	}
	host := strings.ToLower(ep.Host)
	if ep.Port != 0 {
		host = net.JoinHostPort(host, strconv.Itoa(ep.Port))
	}
	p := strings.TrimSuffix(strings.TrimSuffix(ep.Path, "/"), ".git")
	return strings.ToLower(ep.Protocol) + "://" + host + "/" + strings.TrimPrefix(p, "/")
}

func (c *Cache) snapshot(url string, commit plumbing.Hash) string {
	return filepath.Join(c.dir, cacheKey(url), commit.String())
}

// restore writes the snapshot of commit as a packfile and its index into packDir (a
// repository's objects/pack), and reports whether it did. When it did not, packDir is as it
// was.
func (c *Cache) restore(url string, commit plumbing.Hash, packDir string) bool {
	path := c.snapshot(url, commit)
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	r := bufio.NewReader(f)
	idx, err := readSnapshotIndex(r)
	if err != nil {
		return false
	}
	// The index ends with the packfile's checksum and its own: git names the pair after the
	// former.
	base := filepath.Join(packDir, "pack-"+hex.EncodeToString(idx[len(idx)-40:len(idx)-20]))
	if err := writeNewFile(base+".pack", r); err != nil {
		_ = os.Remove(base + ".pack")
		return false
	}
	if err := writeNewFile(base+".idx", bytes.NewReader(idx)); err != nil {
		_ = os.Remove(base + ".pack")
		_ = os.Remove(base + ".idx")
		return false
	}
	now := time.Now()
	_ = os.Chtimes(path, now, now) // most recently used
	return true
}

// drop removes the snapshot of commit, e.g. because it proved unusable.
func (c *Cache) drop(url string, commit plumbing.Hash) {
	_ = os.Remove(c.snapshot(url, commit))
}

// store records the packfile in packDir (that of a fresh depth-1 clone of commit) as the
// snapshot of commit. It is best effort: a snapshot that cannot be written is left out.
func (c *Cache) store(url string, commit plumbing.Hash, packDir string) {
	packs, err := filepath.Glob(filepath.Join(packDir, "pack-*.pack"))
	if err != nil || len(packs) != 1 {
		return
	}
	base := strings.TrimSuffix(packs[0], ".pack")
	idx, err := os.ReadFile(base + ".idx")
	if err != nil {
		return
	}
	pack, err := os.Open(base + ".pack")
	if err != nil {
		return
	}
	defer func() { _ = pack.Close() }()
	c.write(url, commit, idx, pack)
}

// put records commit, read from s, as a snapshot: a packfile of the commit, its tree and its
// files, as a depth-1 fetch would bring them. It is best effort: a snapshot that cannot be
// written is left out.
func (c *Cache) put(url string, s storer.EncodedObjectStorer, commit plumbing.Hash) {
	if _, err := os.Stat(c.snapshot(url, commit)); err == nil {
		return
	}
	co, err := object.GetCommit(s, commit)
	if err != nil {
		return
	}
	objs, err := snapshotObjects(s, co)
	if err != nil {
		return
	}
	pack, err := encodePack(objs)
	if err != nil {
		return
	}
	idx, err := indexPack(pack)
	if err != nil {
		return
	}
	c.write(url, commit, idx, bytes.NewReader(pack))
}

// snapshotObjects returns commit c, its tree and everything in it except submodules.
func snapshotObjects(s storer.EncodedObjectStorer, c *object.Commit) ([]plumbing.EncodedObject, error) {
	seen := map[plumbing.Hash]bool{}
	var objs []plumbing.EncodedObject
	add := func(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
		seen[h] = true
		o, err := s.EncodedObject(t, h)
		if err == nil {
			objs = append(objs, o)
		}
		return o, err
	}
	if _, err := add(plumbing.CommitObject, c.Hash); err != nil {
		return nil, err
	}
	var walk func(h plumbing.Hash) error
	walk = func(h plumbing.Hash) error {
		o, err := add(plumbing.TreeObject, h)
		if err != nil {
			return err
		}
		t, err := object.DecodeTree(s, o)
		if err != nil {
			return err
		}
		for _, e := range t.Entries {
			switch {
			case e.Mode == filemode.Submodule || seen[e.Hash]:
			case e.Mode == filemode.Dir:
				if err := walk(e.Hash); err != nil {
					return err
				}
			default:
				if _, err := add(plumbing.BlobObject, e.Hash); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return objs, walk(c.TreeHash)
}

// write makes the snapshot file of commit (a header, the index, then the packfile) aside and
// renames it into place, so that readers see a whole snapshot or none. Then it drops the least
// recently used snapshots beyond the limit.
func (c *Cache) write(url string, commit plumbing.Hash, idx []byte, pack io.Reader) {
	if len(idx) < 40 {
		return
	}
	dir := filepath.Join(c.dir, cacheKey(url))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	tmp := filepath.Join(dir, ".tmp-"+randomSuffix())
	err := writeNewFile(tmp, io.MultiReader(strings.NewReader(snapshotMagic+strconv.Itoa(len(idx))+"\n"), bytes.NewReader(idx), pack))
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, commit.String()))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return
	}
	c.prune(dir)
}

// readSnapshotIndex reads a snapshot's header and index, leaving r at the packfile.
func readSnapshotIndex(r *bufio.Reader) ([]byte, error) {
	header, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	size, ok := strings.CutPrefix(strings.TrimSuffix(header, "\n"), snapshotMagic)
	n, err := strconv.Atoi(size)
	if !ok || err != nil || n < 40 {
		return nil, errors.New("not a clone snapshot")
	}
	idx := make([]byte, n)
	if _, err := io.ReadFull(r, idx); err != nil {
		return nil, err
	}
	return idx, nil
}

// prune removes the least recently used snapshots in dir beyond the limit, and temporary
// files left by writers that died.
func (c *Cache) prune(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type snap struct {
		name string
		used time.Time
	}
	var snaps []snap
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if time.Since(info.ModTime()) > staleTemp {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
			continue
		}
		snaps = append(snaps, snap{e.Name(), info.ModTime()})
	}
	if len(snaps) <= c.entries {
		return
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].used.After(snaps[j].used) })
	for _, s := range snaps[c.entries:] {
		_ = os.Remove(filepath.Join(dir, s.name)) // a reader holding it open reads on
	}
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeNewFile creates the file path, read-only as git makes packfiles, with the content of
// r. It fails if path exists.
func writeNewFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
