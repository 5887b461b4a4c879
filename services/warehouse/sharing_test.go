package warehouse_test

import (
	"sync"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/services/warehouse"
)

// TestGitListingShared: Warehouses that watch one repository in different ways share one
// ls-remote; a refresh (Forget) makes the next discovery list again.
func TestGitListingShared(t *testing.T) {
	git := gittest.NewServer(t)
	url := git.Repo(t, "config", map[string]string{"app.yaml": "v: 1\n"})
	subs := []v1.RepoSubscription{
		{Git: &v1.GitSubscription{RepoURL: url, Branch: "main"}},
		{Git: &v1.GitSubscription{RepoURL: url, CommitSelectionStrategy: "NewestTag"}},
		{Git: &v1.GitSubscription{RepoURL: url, CommitSelectionStrategy: "Lexical"}},
	}
	r := warehouse.NewRemoteDiscoverer()
	var wg sync.WaitGroup
	for _, sub := range subs {
		wg.Go(func() {
			if _, err := r.Discover(t.Context(), "shop", sub); err != nil {
				t.Errorf("Discover(%+v) = %v", *sub.Git, err)
			}
		})
	}
	wg.Wait()
	// A fetch lists the references too (GET info/refs, then POST git-upload-pack): what is
	// left are the ls-remotes.
	lsRemotes := func() int { return git.Listings("config") - git.Fetches("config") }
	if got := lsRemotes(); got != 1 {
		t.Errorf("three Warehouses of one repository listed its references %d times, want 1", got)
	}
	r.Forget(subs[0], time.Now())
	if _, err := r.Discover(t.Context(), "shop", subs[1]); err != nil {
		t.Fatal(err)
	}
	if got := lsRemotes(); got != 2 {
		t.Errorf("after a refresh, listings = %d, want 2: a refresh must see the repository as it is now", got)
	}
}
