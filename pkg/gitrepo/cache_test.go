package gitrepo_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
)

func newCache(t *testing.T, opts ...gitrepo.CacheOption) *gitrepo.Cache {
	t.Helper()
	c, err := gitrepo.NewCache(filepath.Join(t.TempDir(), "cache"), opts...)
	if err != nil {
		t.Fatalf("NewCache() = %v", err)
	}
	return c
}

// cachedClone clones branch main of url into a fresh directory through c.
func cachedClone(t *testing.T, url string, c *gitrepo.Cache) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Clone(t.Context(), filepath.Join(t.TempDir(), "wt"), gitrepo.CloneOptions{URL: url, Branch: "main", Cache: c})
	if err != nil {
		t.Fatalf("Clone(%s) with a cache = %v", url, err)
	}
	return r
}

func head(t *testing.T, r *gitrepo.Repo) string {
	t.Helper()
	h, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestCacheSecondCloneDoesNotFetch(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"values.yaml": "tag: v1\n"})
	c := newCache(t)

	first := cachedClone(t, url, c)
	if got := srv.Fetches("app"); got != 1 {
		t.Fatalf("fetches after the first clone = %d, want 1", got)
	}
	second := cachedClone(t, url, c)
	if got := srv.Fetches("app"); got != 1 {
		t.Errorf("fetches after a second clone of the unchanged branch = %d, want still 1", got)
	}
	want := srv.Head(t, "app", "main")
	if got1, got2 := head(t, first), head(t, second); got1 != want || got2 != want {
		t.Errorf("Head() = %s and %s, want %s", got1, got2, want)
	}
	if got, err := os.ReadFile(filepath.Join(second.Dir(), "values.yaml")); err != nil || string(got) != "tag: v1\n" {
		t.Errorf("values.yaml = %q, %v; want tag: v1", got, err)
	}
}

func TestCacheCloneAfterSomeoneElsePushed(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"values.yaml": "tag: v1\n"})
	c := newCache(t)
	cachedClone(t, url, c)

	theirs := srv.Commit(t, "app", "main", "theirs", map[string]string{"values.yaml": "tag: theirs\n"})
	r := cachedClone(t, url, c)
	if got := head(t, r); got != theirs {
		t.Errorf("Head() = %s, want their new commit %s", got, theirs)
	}
	if got, _ := os.ReadFile(filepath.Join(r.Dir(), "values.yaml")); string(got) != "tag: theirs\n" {
		t.Errorf("values.yaml = %q, want their change", got)
	}
	if got := srv.Fetches("app"); got != 2 {
		t.Errorf("fetches = %d, want 2: the new head is not cached", got)
	}
	cachedClone(t, url, c)
	if got := srv.Fetches("app"); got != 2 {
		t.Errorf("fetches = %d after cloning the new head again, want still 2", got)
	}
}

// TestCachePushedCommit: a cached clone commits and pushes; the push puts its commit in the
// cache, so the next clone needs no fetch, and that clone can commit and push in turn.
func TestCachePushedCommit(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"values.yaml": "tag: v1\n", "dir/keep.txt": "keep\n"})
	c := newCache(t)
	cachedClone(t, url, c)

	for i, tag := range []string{"v2", "v3"} {
		r := cachedClone(t, url, c)
		writeFile(t, r, "values.yaml", "tag: "+tag+"\n")
		sha := commit(t, r, "promote "+tag)
		got, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff, Cache: c})
		if err != nil || got != sha {
			t.Fatalf("round %d: Push() = %s, %v; want %s", i, got, err, sha)
		}
		if remote := srv.Head(t, "app", "main"); remote != sha {
			t.Fatalf("round %d: remote main = %s, want %s", i, remote, sha)
		}
	}
	next := cachedClone(t, url, c)
	if got, want := head(t, next), srv.Head(t, "app", "main"); got != want {
		t.Errorf("Head() = %s, want the pushed %s", got, want)
	}
	if got := srv.Fetches("app"); got != 1 {
		t.Errorf("fetches = %d, want 1: every later head was pushed through the cache", got)
	}
	if diff := cmp.Diff(map[string]string{"values.yaml": "tag: v3\n", "dir/keep.txt": "keep\n"}, worktree(t, next.Dir())); diff != "" {
		t.Errorf("working tree (-want +got):\n%s", diff)
	}
}

// TestCachedCloneIntegrates is the depth-1 "object not found" case on a clone made from the
// cache: someone else pushes before we do, and Push must replay our commit onto theirs.
func TestCachedCloneIntegrates(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	c := newCache(t)
	cachedClone(t, url, c)
	r := cachedClone(t, url, c)
	writeFile(t, r, "mine.txt", "mine\n")
	commit(t, r, "mine")
	theirs := srv.Commit(t, "app", "main", "theirs", map[string]string{"theirs.txt": "theirs\n"})

	pushed, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff, Cache: c})
	if err != nil {
		t.Fatalf("Push() = %v", err)
	}
	if log := srv.Log(t, "app", "main"); len(log) < 2 || log[0] != pushed || log[1] != theirs {
		t.Errorf("remote log = %v, want our replayed commit %s on theirs %s", log, pushed, theirs)
	}
	if diff := cmp.Diff([]string{"a.txt", "mine.txt", "theirs.txt"}, srv.Files(t, "app", "main")); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
	// The replayed commit went into the cache.
	fetches := srv.Fetches("app")
	if got := head(t, cachedClone(t, url, c)); got != pushed {
		t.Errorf("Head() = %s, want %s", got, pushed)
	}
	if got := srv.Fetches("app"); got != fetches {
		t.Errorf("fetches = %d, want %d: the pushed commit should be cached", got, fetches)
	}
}

// TestCachedCloneSameAsClone compares a plain clone with clones made through the cache, from a
// fetch, from a fetched snapshot and from a pushed snapshot: same config, references, shallow
// boundary, index and files, and git finds each consistent and clean.
func TestCachedCloneSameAsClone(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"values.yaml": "tag: v1\n", "a/b/c.txt": "c\n", "run.sh": "#!/bin/sh\n"})
	c := newCache(t)
	author := gitrepo.Author{Name: "Promoter", Email: "promoter@example.com"}
	clone := func(c *gitrepo.Cache) string {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "wt")
		if _, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "main", Author: author, Cache: c}); err != nil {
			t.Fatalf("Clone() = %v", err)
		}
		return dir
	}
	compare := func(name, want, got string) {
		t.Helper()
		if diff := cmp.Diff(describe(t, want), describe(t, got)); diff != "" {
			t.Errorf("%s differs from a plain clone (-want +got):\n%s", name, diff)
		}
	}
	compare("clone that fetched into the cache", clone(nil), clone(c))
	compare("clone from a fetched snapshot", clone(nil), clone(c))

	r, err := gitrepo.Open(clone(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r, "values.yaml", "tag: v2\n")
	commit(t, r, "promote v2")
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff, Cache: c}); err != nil {
		t.Fatal(err)
	}
	compare("clone from a pushed snapshot", clone(nil), clone(c))
}

// describe is what later steps and git can see of a clone in dir.
func describe(t *testing.T, dir string) map[string]string {
	t.Helper()
	d := map[string]string{}
	for _, f := range []string{"config", "HEAD", "shallow", "packed-refs"} {
		b, _ := os.ReadFile(filepath.Join(dir, ".git", f))
		d[".git/"+f] = string(b)
	}
	_ = filepath.WalkDir(filepath.Join(dir, ".git", "refs"), func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			d[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	for p, content := range worktree(t, dir) {
		d[p] = content
	}
	d["git ls-files --stage"] = gittest.RunGit(t, dir, "ls-files", "--stage")
	d["git status --porcelain"] = gittest.RunGit(t, dir, "status", "--porcelain")
	d["git log"] = gittest.RunGit(t, dir, "log", "--format=%H %P")
	gittest.RunGit(t, dir, "fsck", "--strict", "--no-dangling")
	return d
}

// worktree returns the files of the working tree in dir (path → content), without .git.
func worktree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Name() == ".git" {
			return filepath.SkipDir
		}
		if !e.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, _ := e.Info()
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = string(b)
			if info.Mode()&0o111 != 0 {
				files[filepath.ToSlash(rel)] += " (executable)"
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCacheServesOnlyTheAdvertisedCommit: the cache holds a newer commit than the remote
// branch (someone reset it); the clone must check out what the remote says.
func TestCacheServesOnlyTheAdvertisedCommit(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	c := newCache(t)
	r := cachedClone(t, url, c)
	before := head(t, r)
	writeFile(t, r, "a.txt", "pushed\n")
	commit(t, r, "pushed")
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff, Cache: c}); err != nil {
		t.Fatal(err)
	}
	srv.Git(t, "app", "update-ref", "refs/heads/main", before)

	again := cachedClone(t, url, c)
	if got := head(t, again); got != before {
		t.Errorf("Head() = %s, want the remote's %s", got, before)
	}
	if got, _ := os.ReadFile(filepath.Join(again.Dir(), "a.txt")); string(got) != "a\n" {
		t.Errorf("a.txt = %q, want the remote's a", got)
	}
}

func TestCacheKeyedByURL(t *testing.T) {
	srv := gittest.NewServer(t)
	a := srv.Repo(t, "a", map[string]string{"f.txt": "a\n"})
	b := srv.Repo(t, "b", map[string]string{"f.txt": "b\n"})
	c := newCache(t)
	cachedClone(t, a, c)
	r := cachedClone(t, b, c)
	if got := srv.Fetches("b"); got != 1 {
		t.Errorf("fetches from b = %d, want 1: nothing of a may serve b", got)
	}
	if got, _ := os.ReadFile(filepath.Join(r.Dir(), "f.txt")); string(got) != "b\n" {
		t.Errorf("f.txt = %q, want b's", got)
	}
	// Spellings of the same URL share the cache.
	cachedClone(t, strings.TrimSuffix(a, ".git"), c)
	if got := srv.Fetches("a"); got != 1 {
		t.Errorf("fetches from a = %d after cloning it as %s, want still 1", got, strings.TrimSuffix(a, ".git"))
	}
}

func TestCacheEviction(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	c := newCache(t, gitrepo.WithCacheEntries(1))
	first := head(t, cachedClone(t, url, c))
	srv.Commit(t, "app", "main", "second", nil)
	cachedClone(t, url, c) // caches the second commit, evicting the first
	srv.Git(t, "app", "update-ref", "refs/heads/main", first)
	if got := head(t, cachedClone(t, url, c)); got != first {
		t.Errorf("Head() = %s, want %s", got, first)
	}
	if got := srv.Fetches("app"); got != 3 {
		t.Errorf("fetches = %d, want 3: the cache keeps one commit", got)
	}
	if _, err := gitrepo.NewCache(t.TempDir(), gitrepo.WithCacheEntries(0)); err == nil {
		t.Error("NewCache(WithCacheEntries(0)) = nil error, want one")
	}
}

func TestCacheMissingBranch(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	c := newCache(t)
	dir := filepath.Join(t.TempDir(), "wt")
	_, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "nope", Cache: c})
	if !errors.Is(err, gitrepo.ErrBranchNotFound) {
		t.Errorf("Clone(missing branch) = %v, want ErrBranchNotFound", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("failed clone left %s behind: %v", dir, err)
	}
	r, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "env/new", Create: true, Cache: c})
	if err != nil {
		t.Fatalf("Clone(create) = %v", err)
	}
	if got, want := head(t, r), srv.Head(t, "app", "env/new"); got != want {
		t.Errorf("Head() = %s, want the created branch's %s", got, want)
	}
}

// TestCacheConcurrent clones, commits and pushes from many goroutines through one cache
// that keeps only two commits, so that snapshots are written, read and evicted at once.
func TestCacheConcurrent(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	c := newCache(t, gitrepo.WithCacheEntries(2))
	const workers, rounds = 4, 3
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				dir := filepath.Join(t.TempDir(), "wt")
				r, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "main", Cache: c})
				if err != nil {
					errs <- err
					return
				}
				name := fmt.Sprintf("w%d-%d.txt", w, i)
				if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
					errs <- err
					return
				}
				if _, _, err := r.Commit("add "+name, nil); err != nil {
					errs <- err
					return
				}
				if _, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff, MaxAttempts: 50, Cache: c}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(srv.Files(t, "app", "main")); got != 1+workers*rounds {
		t.Errorf("remote has %d files, want %d", got, 1+workers*rounds)
	}
	r := cachedClone(t, url, c)
	if got, want := head(t, r), srv.Head(t, "app", "main"); got != want {
		t.Errorf("Head() = %s, want %s", got, want)
	}
	if got := len(worktree(t, r.Dir())); got != 1+workers*rounds {
		t.Errorf("clone has %d files, want %d", got, 1+workers*rounds)
	}
}

// TestCacheWarmCloneNeedsTheRemotesYes: the clone starts from the snapshot of the head it last
// saw before the remote answers; a caller the remote refuses gets an error and no directory,
// though the snapshot is right there.
func TestCacheWarmCloneNeedsTheRemotesYes(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	srv.RequireBasicAuth("bot", "right")
	c := newCache(t)
	as := func(password string) gitrepo.Auth {
		return func(context.Context, string) (transport.AuthMethod, error) {
			return &githttp.BasicAuth{Username: "bot", Password: password}, nil
		}
	}
	if _, err := gitrepo.Clone(t.Context(), filepath.Join(t.TempDir(), "wt"), gitrepo.CloneOptions{URL: url, Branch: "main", Cache: c, Auth: as("right")}); err != nil {
		t.Fatalf("Clone(right password) = %v", err)
	}
	dir := filepath.Join(t.TempDir(), "wt")
	if _, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "main", Cache: c, Auth: as("wrong")}); err == nil {
		t.Fatal("Clone(wrong password) with the head cached = nil error, want the remote's refusal")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the refused clone left %s behind: %v", dir, err)
	}
}
