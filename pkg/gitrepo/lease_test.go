package gitrepo_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/lease"
)

// TestPushWithLeaseOtherWriter: the lease only orders Dray's pushes; a writer outside it
// (here one who pushes while ours is in flight, after our integration) still makes our
// depth-1 push fail, and Push integrates and pushes again.
func TestPushWithLeaseOtherWriter(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	r := clone(t, url)
	writeFile(t, r, "b.txt", "b\n")
	commit(t, r, "b")
	srv.Commit(t, "app", "main", "before", map[string]string{"c.txt": "c\n"})
	var once sync.Once
	srv.OnPush(func(string) {
		once.Do(func() { srv.Commit(t, "app", "main", "during", map[string]string{"d.txt": "d\n"}) })
	})
	l := lease.New(bustest.Start(t).Connect(t).Locks)

	sha, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff, Lease: l})

	if err != nil {
		t.Fatalf("Push() = %v", err)
	}
	if got := srv.Head(t, "app", "main"); got != sha {
		t.Errorf("remote main = %s, want the pushed %s", got, sha)
	}
	if diff := cmp.Diff([]string{"a.txt", "b.txt", "c.txt", "d.txt"}, srv.Files(t, "app", "main")); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
}

func TestPushLeaseKey(t *testing.T) {
	a := gitrepo.PushLeaseKey("https://user:token@Example.com/org/repo.git", "main")
	for _, same := range []string{"https://example.com/org/repo", "HTTPS://example.com/org/repo/"} {
		if got := gitrepo.PushLeaseKey(same, "main"); got != a {
			t.Errorf("PushLeaseKey(%q, main) = %s, want %s as for the same remote", same, got, a)
		}
	}
	if gitrepo.PushLeaseKey("https://example.com/org/repo", "prod") == a {
		t.Error("another branch has the same lease key")
	}
	if gitrepo.PushLeaseKey("https://example.com/org/other", "main") == a {
		t.Error("another repository has the same lease key")
	}
}

// TestPushFetchesOnlyWhenBehind: a push from an up-to-date clone asks the remote for nothing
// but the push (no reference listing for a fetch); pushes from clones that another push of
// the process overtook fetch first and succeed at their first attempt, one push each.
func TestPushFetchesOnlyWhenBehind(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"a.txt": "a\n"})
	l := lease.New(bustest.Start(t).Connect(t).Locks)

	r := clone(t, url)
	writeFile(t, r, "b.txt", "b\n")
	commit(t, r, "b")
	before := srv.Listings("app")
	if _, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff, Lease: l}); err != nil {
		t.Fatalf("Push() = %v", err)
	}
	if got := srv.Listings("app") - before; got != 0 {
		t.Errorf("an unopposed push listed the remote's references %d times for a fetch, want 0", got)
	}

	const n = 4
	repos := make([]*gitrepo.Repo, n)
	for i := range repos {
		repos[i] = clone(t, url)
		writeFile(t, repos[i], fmt.Sprintf("c%d.txt", i), "c\n")
		commit(t, repos[i], "c")
	}
	var mu sync.Mutex
	pushes := 0
	srv.OnPush(func(string) { mu.Lock(); pushes++; mu.Unlock() })
	attempts := srv.PushListings("app")
	var wg sync.WaitGroup
	for _, r := range repos {
		wg.Go(func() {
			if _, err := r.Push(t.Context(), gitrepo.PushOptions{Backoff: noBackoff, Lease: l}); err != nil {
				t.Errorf("Push() = %v", err)
			}
		})
	}
	wg.Wait()
	if pushes != n {
		t.Errorf("the server saw %d pushes, want %d: each should succeed at once", pushes, n)
	}
	if got := srv.PushListings("app") - attempts; got != n {
		t.Errorf("%d push attempts, want %d: a push that waited its turn should fetch first", got, n)
	}
	if got := len(srv.Files(t, "app", "main")); got != n+2 {
		t.Errorf("remote has %d files, want %d", got, n+2)
	}
}
