package gitrepo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/drayhq/dray/pkg/gittest"
)

// TestShallowPushIsRejected pins down the go-git behaviour Push works around: pushing from a
// depth-1 clone after the remote moved fails with "object not found", which must count as a
// rejection so that Push integrates and retries.
func TestShallowPushIsRejected(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "app", map[string]string{"a.txt": "a\n"})
	// History deeper than the clone: the clone's base commit has a parent it lacks.
	srv.Commit(t, "app", "main", "second", map[string]string{"a.txt": "a2\n"})
	r, err := Clone(t.Context(), filepath.Join(t.TempDir(), "wt"), CloneOptions{URL: url, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir(), "b.txt"), []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sha, _, err := r.Commit("b", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Commit(t, "app", "main", "theirs", map[string]string{"c.txt": "c\n"})

	err = r.pushCommit(t.Context(), plumbing.NewHash(sha), "main", false)

	if !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Logf("go-git no longer fails with %q here; it says: %v", plumbing.ErrObjectNotFound, err)
	}
	if err == nil || !isRejected(err) {
		t.Errorf("pushCommit() = %v, want a rejection", err)
	}
}

func TestServerRejectionIsRejected(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "app", map[string]string{"a.txt": "a\n"})
	r, err := Clone(t.Context(), filepath.Join(t.TempDir(), "wt"), CloneOptions{URL: url, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir(), "b.txt"), []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sha, _, err := r.Commit("b", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnPush(func(string) { srv.Commit(t, "app", "main", "theirs", map[string]string{"c.txt": "c\n"}) })

	err = r.pushCommit(t.Context(), plumbing.NewHash(sha), "main", false)

	t.Logf("push rejected by the server: %v", err)
	if err == nil || !isRejected(err) {
		t.Errorf("pushCommit() = %v, want a rejection", err)
	}
}
