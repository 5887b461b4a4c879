package workspace_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestCommitAndCheckoutThroughLeaderElection: on a 3-node cluster, a step's workspace stored
// and fetched while the object store has no leader — two of its three nodes are lost, and come
// back seconds later — waits for the new leader rather than failing the step.
func TestCommitAndCheckoutThroughLeaderElection(t *testing.T) {
	c := bustest.StartCluster(t, 3)
	b := c.Connect(t)
	st := newStore(t, b.Workspaces, t.TempDir())
	tree, err := st.Checkout(t.Context(), "demo.p1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree.Dir, "values.yaml"), []byte("tag: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	leader := c.StreamLeader("OBJ_" + bus.ObjectWorkspaces)
	if leader < 0 {
		t.Fatal("the workspaces bucket has no leader")
	}
	lost := []int{leader, (leader + 1) % 3}
	for _, i := range lost {
		c.Stop(i)
	}
	type committed struct {
		rev int
		err error
	}
	done := make(chan committed, 1)
	go func() {
		rev, err := tree.Commit(t.Context())
		done <- committed{rev, err}
	}()
	time.Sleep(6 * time.Second) // longer than one request's timeout
	for _, i := range lost {
		c.Start(i)
	}
	got := <-done
	tree.Release()
	if got.err != nil || got.rev != 1 {
		t.Fatalf("Commit() while the bucket had no leader = %d, %v; want 1", got.rev, got.err)
	}
	other := newStore(t, b.Workspaces, t.TempDir()) // another executor: it downloads
	tree, err = other.Checkout(t.Context(), "demo.p1", 1)
	if err != nil {
		t.Fatalf("Checkout() after the leader came back = %v", err)
	}
	defer tree.Release()
	if data, err := os.ReadFile(filepath.Join(tree.Dir, "values.yaml")); err != nil || string(data) != "tag: v1\n" {
		t.Errorf("values.yaml = %q, %v; want tag: v1", data, err)
	}
}
