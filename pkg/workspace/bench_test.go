package workspace_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/workspace"
)

// BenchmarkStepRoundTrip is what the workspace costs a step on the executor that ran the
// previous one: check out the latest revision (from the local cache), change one file, store
// the new revision. The tree is shaped like a small clone: 40 files in 16 directories.
// Revisions are stored encrypted, as executors with the secrets key store them, and in clear.
func BenchmarkStepRoundTrip(b *testing.B) {
	forEachMode(b, stepRoundTrip)
}

func stepRoundTrip(b *testing.B, opts ...workspace.Option) {
	bus := bustest.Start(b).Connect(b)
	st := newStore(b, bus.Workspaces, b.TempDir(), opts...)
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

// BenchmarkCheckoutFromStore is what the workspace costs a step on another executor than the
// previous one's: download the revision from the object store and unpack it. The tree is
// shaped like a clone with some weight: 200 files of 16 KiB, half of each random.
// Encrypted and in clear.
func BenchmarkCheckoutFromStore(b *testing.B) {
	forEachMode(b, checkoutFromStore)
}

func checkoutFromStore(b *testing.B, opts ...workspace.Option) {
	bus := bustest.Start(b).Connect(b)
	st := newStore(b, bus.Workspaces, b.TempDir(), opts...)
	tree, err := st.Checkout(b.Context(), "p", 0)
	if err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	var size int64
	for d := range 20 {
		dir := filepath.Join(tree.Dir, "src", fmt.Sprintf("d%02d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 10 {
			data := make([]byte, 16<<10)
			for i := range len(data) / 2 {
				data[i] = byte(rnd.Uint32())
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.bin", f)), data, 0o644); err != nil {
				b.Fatal(err)
			}
			size += int64(len(data))
		}
	}
	rev, err := tree.Commit(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	tree.Release()
	b.SetBytes(size)
	for b.Loop() {
		st.Forget("p") // as another executor, with no local copy
		tree, err := st.Checkout(b.Context(), "p", rev)
		if err != nil {
			b.Fatal(err)
		}
		tree.Release()
	}
}

// forEachMode runs bench with revisions encrypted and in clear.
func forEachMode(b *testing.B, bench func(*testing.B, ...workspace.Option)) {
	b.Run("encrypted", func(b *testing.B) { bench(b, workspace.WithKey(testKey)) })
	b.Run("clear", func(b *testing.B) { bench(b) })
}
