package workspace_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/workspace"
)

// entry is what a workspace holds at one path.
type entry struct {
	Mode    fs.FileMode
	Content string    // regular files
	Link    string    // symlinks
	ModTime time.Time // regular files
}

// snapshot lists everything under dir.
func snapshot(t *testing.T, dir string) map[string]entry {
	t.Helper()
	got := map[string]entry{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{Mode: info.Mode()}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			e.Mode = fs.ModeSymlink // a symlink's permission bits mean nothing on Linux
			if e.Link, err = os.Readlink(path); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			e.Content, e.ModTime = string(b), info.ModTime()
		}
		got[filepath.ToSlash(rel)] = e
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", dir, err)
	}
	return got
}

func write(t *testing.T, dir, rel, content string, mode fs.FileMode) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is subject to the umask
		t.Fatal(err)
	}
}

// objectNames lists the object store's objects.
func objectNames(t *testing.T, objs jetstream.ObjectStore) []string {
	t.Helper()
	infos, err := objs.List(t.Context())
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	return names
}

func checkout(t *testing.T, s *workspace.Store, promotion string, rev int) *workspace.Tree {
	t.Helper()
	tr, err := s.Checkout(t.Context(), promotion, rev)
	if err != nil {
		t.Fatalf("Checkout(%q, %d) = %v", promotion, rev, err)
	}
	return tr
}

func commit(t *testing.T, tr *workspace.Tree) int {
	t.Helper()
	rev, err := tr.Commit(t.Context())
	if err != nil {
		t.Fatalf("Commit() = %v", err)
	}
	return rev
}

// TestStoreRoundTrip stores and checks out revisions from two machines, with revisions
// encrypted (executors with the secrets key) and in clear (without).
func TestStoreRoundTrip(t *testing.T) {
	t.Run("encrypted", func(t *testing.T) { storeRoundTrip(t, workspace.WithKey(testKey)) })
	t.Run("clear", func(t *testing.T) { storeRoundTrip(t) })
}

func storeRoundTrip(t *testing.T, opts ...workspace.Option) {
	b := bustest.Start(t).Connect(t)
	ctx := t.Context()

	// Machine A starts from the empty workspace and writes a tree.
	a := newStore(t, b.Workspaces, t.TempDir(), opts...)
	tr := checkout(t, a, "p", 0)
	if got := snapshot(t, tr.Dir); len(got) != 0 {
		t.Errorf("Checkout(p, 0) holds %v, want an empty directory", got)
	}
	if tr.Rev != 0 || !filepath.IsAbs(tr.Dir) {
		t.Errorf("Checkout(p, 0) = Rev %d, Dir %q; want Rev 0 and an absolute Dir", tr.Rev, tr.Dir)
	}
	write(t, tr.Dir, "README.md", "hello\n", 0o644)
	write(t, tr.Dir, "env/dev/values.yaml", "image: nginx:1.27\n", 0o600)
	write(t, tr.Dir, "bin/render.sh", "#!/bin/sh\necho ok\n", 0o755)
	if err := os.Symlink("env/dev/values.yaml", filepath.Join(tr.Dir, "current.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(tr.Dir, "empty"), 0o750); err != nil {
		t.Fatal(err)
	}
	if got := commit(t, tr); got != 1 {
		t.Errorf("Commit() after writing = %d, want 1", got)
	}
	want := snapshot(t, tr.Dir)
	tr.Release()
	if diff := cmp.Diff([]string{workspace.ObjectName("p", 1)}, objectNames(t, b.Workspaces)); diff != "" {
		t.Errorf("objects after the first Commit (-want +got):\n%s", diff)
	}

	// Machine B, with its own cache, sees the same tree.
	other := newStore(t, b.Workspaces, t.TempDir(), opts...)
	tr = checkout(t, other, "p", 1)
	if diff := cmp.Diff(want, snapshot(t, tr.Dir)); diff != "" {
		t.Errorf("Checkout(p, 1) on another machine (-want +got):\n%s", diff)
	}

	// Unchanged, it stays at revision 1 and stores nothing.
	if got := commit(t, tr); got != 1 {
		t.Errorf("Commit() without a change = %d, want 1", got)
	}
	if diff := cmp.Diff([]string{"p/1"}, objectNames(t, b.Workspaces)); diff != "" {
		t.Errorf("objects after an empty Commit (-want +got):\n%s", diff)
	}
	tr.Release()

	// A change becomes revision 2, which machine A then fetches.
	tr = checkout(t, other, "p", 1)
	write(t, tr.Dir, "env/dev/values.yaml", "image: nginx:1.28.1\n", 0o600)
	if got := commit(t, tr); got != 2 {
		t.Errorf("Commit() after a change = %d, want 2", got)
	}
	want2 := snapshot(t, tr.Dir)
	tr.Release()
	tr = checkout(t, a, "p", 2)
	if diff := cmp.Diff(want2, snapshot(t, tr.Dir)); diff != "" {
		t.Errorf("Checkout(p, 2) on the first machine (-want +got):\n%s", diff)
	}
	tr.Release()
	if diff := cmp.Diff([]string{"p/1", "p/2"}, objectNames(t, b.Workspaces)); diff != "" {
		t.Errorf("objects after the second change (-want +got):\n%s", diff)
	}

	// Old revisions stay as they were.
	tr = checkout(t, a, "p", 1)
	if diff := cmp.Diff(want, snapshot(t, tr.Dir)); diff != "" {
		t.Errorf("Checkout(p, 1) after revision 2 exists (-want +got):\n%s", diff)
	}
	tr.Release()

	if _, err := b.Workspaces.GetInfo(ctx, "p/3"); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Errorf("GetInfo(p/3) = %v, want ErrObjectNotFound", err)
	}
}

// TestCheckoutUsesCache shows that a Store does not download what it stored itself: the
// revision is served from the local cache even after the object is gone.
func TestCheckoutUsesCache(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	s := newStore(t, b.Workspaces, t.TempDir())
	tr := checkout(t, s, "p", 0)
	write(t, tr.Dir, "a.txt", "a", 0o644)
	if got := commit(t, tr); got != 1 {
		t.Fatalf("Commit() = %d, want 1", got)
	}
	tr.Release()
	if err := b.Workspaces.Delete(t.Context(), workspace.ObjectName("p", 1)); err != nil {
		t.Fatal(err)
	}
	tr = checkout(t, s, "p", 1)
	defer tr.Release()
	if b, err := os.ReadFile(filepath.Join(tr.Dir, "a.txt")); err != nil || string(b) != "a" {
		t.Errorf("ReadFile(a.txt) from the cache = %q, %v; want %q", b, err, "a")
	}
}

func TestDiscard(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	s := newStore(t, b.Workspaces, t.TempDir())
	tr := checkout(t, s, "p", 0)
	write(t, tr.Dir, "values.yaml", "replicas: 1\n", 0o644)
	commit(t, tr)
	tr.Release()

	// A failed step leaves half its work behind; the executor discards it.
	tr = checkout(t, s, "p", 1)
	write(t, tr.Dir, "values.yaml", "replicas: 2\n", 0o644)
	write(t, tr.Dir, "half-done.txt", "x", 0o644)
	tr.Discard()
	tr.Release()

	tr = checkout(t, s, "p", 1)
	defer tr.Release()
	want := map[string]string{"values.yaml": "replicas: 1\n"}
	got := map[string]string{}
	for name, e := range snapshot(t, tr.Dir) {
		got[name] = e.Content
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Checkout(p, 1) after Discard (-want +got):\n%s", diff)
	}
}

func TestCheckoutMissingRevision(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	s := newStore(t, b.Workspaces, t.TempDir())
	tr, err := s.Checkout(t.Context(), "p", 7)
	if !errors.Is(err, workspace.ErrRevisionMissing) {
		t.Fatalf("Checkout(p, 7) = %v, %v; want ErrRevisionMissing", tr, err)
	}

	// The failed checkout leaves the promotion's tree unlocked.
	done := make(chan error, 1)
	go func() {
		tr, err := s.Checkout(t.Context(), "p", 0)
		if err == nil {
			tr.Release()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Checkout(p, 0) after a failed checkout = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Checkout(p, 0) after a failed checkout did not return within 10s: the tree stayed locked")
	}
}

func TestDelete(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	ctx := t.Context()
	s := newStore(t, b.Workspaces, t.TempDir())
	var dir string
	for _, c := range []struct {
		promotion string
		rev       int
	}{{"p", 0}, {"p", 1}, {"keep", 0}} {
		tr := checkout(t, s, c.promotion, c.rev)
		write(t, tr.Dir, "f", c.promotion+strconv.Itoa(c.rev), 0o644)
		commit(t, tr)
		if c.promotion == "p" {
			dir = tr.Dir
		}
		tr.Release()
	}
	if diff := cmp.Diff([]string{"keep/1", "p/1", "p/2"}, objectNames(t, b.Workspaces)); diff != "" {
		t.Fatalf("objects before Delete (-want +got):\n%s", diff)
	}

	// Revisions that are already gone are no error.
	if err := s.Delete(ctx, "p", 5); err != nil {
		t.Fatalf("Delete(p, 5) = %v", err)
	}
	if diff := cmp.Diff([]string{"keep/1"}, objectNames(t, b.Workspaces)); diff != "" {
		t.Errorf("objects after Delete(p) (-want +got):\n%s", diff)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat(%s) after Delete = %v, want the local copy gone", dir, err)
	}
	// The local cache is forgotten too: the revision is not served from it.
	if tr, err := s.Checkout(ctx, "p", 2); !errors.Is(err, workspace.ErrRevisionMissing) {
		t.Errorf("Checkout(p, 2) after Delete = %v, %v; want ErrRevisionMissing", tr, err)
	}

	if err := workspace.DeleteRevisions(ctx, b.Workspaces, "keep", 1); err != nil {
		t.Fatalf("DeleteRevisions(keep, 1) = %v", err)
	}
	if got := objectNames(t, b.Workspaces); len(got) != 0 {
		t.Errorf("objects after DeleteRevisions(keep, 1) = %v, want none", got)
	}
}

func TestObjectName(t *testing.T) {
	if got, want := workspace.ObjectName("dev.01jnkz.abc1234", 12), "dev.01jnkz.abc1234/12"; got != want {
		t.Errorf("ObjectName(dev.01jnkz.abc1234, 12) = %q, want %q", got, want)
	}
}

// newStore returns a Store over objs caching under dir.
func newStore(t testing.TB, objs jetstream.ObjectStore, dir string, opts ...workspace.Option) *workspace.Store {
	t.Helper()
	s, err := workspace.New(objs, dir, opts...)
	if err != nil {
		t.Fatalf("workspace.New() = %v", err)
	}
	return s
}

// TestCacheIsBounded: past MaxCached workspaces, a checkout drops the least recently used
// local copies, never one that is checked out; a dropped one is downloaded again when needed.
func TestCacheIsBounded(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	dir := t.TempDir()
	s := newStore(t, b.Workspaces, dir)
	held := checkout(t, s, "held", 0) // checked out throughout: never dropped
	write(t, held.Dir, "f", "held", 0o644)
	first := checkout(t, s, "p-0", 0)
	write(t, first.Dir, "f", "first", 0o644)
	if got := commit(t, first); got != 1 {
		t.Fatalf("Commit() = %d, want 1", got)
	}
	first.Release()
	for i := 1; i < workspace.MaxCached+50; i++ {
		tr := checkout(t, s, "p-"+strconv.Itoa(i), 0)
		tr.Release()
	}
	if got := s.Cached(); got > workspace.MaxCached {
		t.Errorf("Cached() = %d after %d checkouts, want at most %d", got, workspace.MaxCached+51, workspace.MaxCached)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > workspace.MaxCached {
		t.Errorf("%d workspace directories on disk, want at most %d", len(entries), workspace.MaxCached)
	}
	if got, err := os.ReadFile(filepath.Join(held.Dir, "f")); err != nil || string(got) != "held" {
		t.Errorf("the checked-out workspace lost its file: %q, %v", got, err)
	}
	held.Release()
	tr := checkout(t, s, "p-0", 1) // dropped from the cache: downloaded again
	defer tr.Release()
	if got, err := os.ReadFile(filepath.Join(tr.Dir, "f")); err != nil || string(got) != "first" {
		t.Errorf("ReadFile(f) of a dropped workspace = %q, %v; want %q", got, err, "first")
	}
}

// TestForgetRemovesLeftovers: Forget removes a workspace directory the Store never checked
// out, e.g. one an earlier process left.
func TestForgetRemovesLeftovers(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	dir := t.TempDir()
	s := newStore(t, b.Workspaces, dir)
	write(t, filepath.Join(dir, "old"), "f", "x", 0o644)
	s.Forget("old")
	if _, err := os.Lstat(filepath.Join(dir, "old")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat(old) after Forget = %v, want it gone", err)
	}
	if got := s.Cached(); got != 0 {
		t.Errorf("Cached() after Forget = %d, want 0", got)
	}
}
