package workspace_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/workspace"
)

// BenchmarkStepRoundTrip is what the workspace costs a step on the executor that ran the
// previous one: check out the latest revision (from the local cache), change one file, store
// the new revision. The tree is shaped like a small clone: 40 files in 16 directories.
func BenchmarkStepRoundTrip(b *testing.B) {
	bus := bustest.Start(b).Connect(b)
	st := workspace.New(bus.Workspaces, b.TempDir())
	tree, err := st.Checkout(b.Context(), "p", 0)
	if err != nil {
		b.Fatal(err)
	}
	for d := range 16 {
		dir := filepath.Join(tree.Dir, "src", fmt.Sprintf("d%02d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 40 / 16 {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.yaml", f)), make([]byte, 700), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	rev, err := tree.Commit(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	tree.Release()
	for i := 0; b.Loop(); i++ {
		tree, err := st.Checkout(b.Context(), "p", rev)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree.Dir, "src", "d00", "f0.yaml"), []byte(fmt.Sprintf("tag: v%d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
		if rev, err = tree.Commit(b.Context()); err != nil {
			b.Fatal(err)
		}
		tree.Release()
	}
}
