package gitrepo_test

import (
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
