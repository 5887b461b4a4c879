package workspace_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/workspace"
)

// testKey and otherKey are workspace keys, as secret.Store.WorkspaceKey derives them.
var (
	testKey  = bytes.Repeat([]byte{7}, workspace.KeySize)
	otherKey = bytes.Repeat([]byte{9}, workspace.KeySize)
)

// readObject returns the stored bytes of an object.
func readObject(t *testing.T, objs jetstream.ObjectStore, name string) []byte {
	t.Helper()
	data, err := objs.GetBytes(t.Context(), name)
	if err != nil {
		t.Fatalf("GetBytes(%s) = %v", name, err)
	}
	return data
}

// TestRevisionsAreEncrypted shows that what the object store holds reveals no file: neither
// a file's content nor its name, in clear or gzipped, while a Store with the key restores
// the tree, across many chunks.
func TestRevisionsAreEncrypted(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	s := newStore(t, b.Workspaces, t.TempDir(), workspace.WithKey(testKey))
	tr := checkout(t, s, "p", 0)
	write(t, tr.Dir, "env/prod/values.yaml", "token: s3cr3t-Value-in-a-file\n", 0o600)
	noise := make([]byte, 300<<10) // several chunks that do not compress
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range noise {
		noise[i] = byte(rnd.Uint32())
	}
	write(t, tr.Dir, "blob.bin", string(noise), 0o644)
	commit(t, tr)
	want := snapshot(t, tr.Dir)
	tr.Release()

	stored := readObject(t, b.Workspaces, "p/1")
	for _, clear := range []string{"s3cr3t-Value-in-a-file", "env/prod/values.yaml", string(noise[:64])} {
		if bytes.Contains(stored, []byte(clear)) {
			t.Errorf("stored revision p/1 holds %.40q in clear", clear)
		}
	}
	if bytes.HasPrefix(stored, []byte{0x1f, 0x8b}) {
		t.Errorf("stored revision p/1 is a gzip stream, want it encrypted")
	}

	other := newStore(t, b.Workspaces, t.TempDir(), workspace.WithKey(testKey))
	tr = checkout(t, other, "p", 1)
	defer tr.Release()
	if diff := cmp.Diff(want, snapshot(t, tr.Dir)); diff != "" {
		t.Errorf("Checkout(p, 1) with the key (-want +got):\n%s", diff)
	}
}

// TestCheckoutRefusesForeignRevisions stores revisions with the key, then puts in their
// place what an attacker who can write the object store, or a misconfigured executor, could:
// another revision, another promotion's, a damaged or cut-short one, one in clear, one under
// another key. Each checkout fails, saying why, and leaves nothing half-restored behind to be
// taken for the revision.
func TestCheckoutRefusesForeignRevisions(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	ctx := t.Context()
	keyed := newStore(t, b.Workspaces, t.TempDir(), workspace.WithKey(testKey))
	for _, p := range []string{"p", "q"} {
		tr := checkout(t, keyed, p, 0)
		write(t, tr.Dir, "values.yaml", "promotion: "+p+"\n", 0o644)
		rev := commit(t, tr)
		write(t, tr.Dir, "values.yaml", "promotion: "+p+"\nrevision: 2\n", 0o644)
		tr.Rev = rev
		if rev = commit(t, tr); rev != 2 {
			t.Fatalf("second Commit() = %d, want 2", rev)
		}
		tr.Release()
	}
	p1, p2, q2 := readObject(t, b.Workspaces, "p/1"), readObject(t, b.Workspaces, "p/2"), readObject(t, b.Workspaces, "q/2")

	clearStore := newStore(t, b.Workspaces, t.TempDir())
	tr := checkout(t, clearStore, "c", 0)
	write(t, tr.Dir, "values.yaml", "in clear\n", 0o644)
	commit(t, tr)
	tr.Release()
	clear1 := readObject(t, b.Workspaces, "c/1")

	otherKeyed := newStore(t, b.Workspaces, t.TempDir(), workspace.WithKey(otherKey))
	tr = checkout(t, otherKeyed, "o", 0)
	write(t, tr.Dir, "values.yaml", "other key\n", 0o644)
	commit(t, tr)
	tr.Release()
	other1 := readObject(t, b.Workspaces, "o/1")

	flipped := bytes.Clone(p2)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name  string
		data  []byte
		store *workspace.Store
		want  error
	}{
		{"an earlier revision of the promotion", p1, keyed, workspace.ErrDamaged},
		{"another promotion's revision", q2, keyed, workspace.ErrDamaged},
		{"a flipped bit", flipped, keyed, workspace.ErrDamaged},
		{"cut short", p2[:len(p2)-1], keyed, workspace.ErrDamaged},
		{"bytes appended", append(bytes.Clone(p2), 0), keyed, workspace.ErrDamaged},
		{"only a header", p2[:8], keyed, workspace.ErrDamaged},
		{"garbage", []byte("not an archive at all"), keyed, workspace.ErrDamaged},
		{"another key", other1, keyed, workspace.ErrDamaged},
		{"a clear archive", clear1, keyed, workspace.ErrNotEncrypted},
		{"read without the key", p2, clearStore, workspace.ErrEncrypted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			promotion := "x-" + strings.ReplaceAll(tt.name, " ", "-")
			if _, err := b.Workspaces.PutBytes(ctx, workspace.ObjectName(promotion, 2), tt.data); err != nil {
				t.Fatal(err)
			}
			tr, err := tt.store.Checkout(ctx, promotion, 2)
			if err == nil {
				tr.Release()
				t.Fatalf("Checkout(%s, 2) of %s = nil error, want %v", promotion, tt.name, tt.want)
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), promotion+"/2") {
				t.Errorf("Checkout(%s, 2) of %s = %v, want %v naming the revision", promotion, tt.name, err, tt.want)
			}
		})
	}

	// The failed checkout is not taken for the revision later.
	if _, err := b.Workspaces.PutBytes(ctx, "p/2", q2); err != nil {
		t.Fatal(err)
	}
	fresh := newStore(t, b.Workspaces, filepath.Join(t.TempDir(), "fresh"), workspace.WithKey(testKey))
	for range 2 {
		if tr, err := fresh.Checkout(ctx, "p", 2); !errors.Is(err, workspace.ErrDamaged) {
			if err == nil {
				tr.Release()
			}
			t.Errorf("Checkout(p, 2) holding q's revision = %v, want ErrDamaged every time", err)
		}
	}
}

func TestWithKeyRejectsAShortKey(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	if _, err := workspace.New(b.Workspaces, t.TempDir(), workspace.WithKey(testKey[:16])); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Errorf("New(WithKey(16 bytes)) = %v, want an error asking for 32 bytes", err)
	}
}

// TestWithEmptyKeyStoresInClear: an empty key (a process without the secrets key) is no key.
func TestWithEmptyKeyStoresInClear(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	s := newStore(t, b.Workspaces, t.TempDir(), workspace.WithKey([]byte{}))
	tr := checkout(t, s, "p", 0)
	write(t, tr.Dir, "a.txt", "a\n", 0o644)
	commit(t, tr)
	tr.Release()
	if stored := readObject(t, b.Workspaces, "p/1"); !bytes.HasPrefix(stored, []byte{0x1f, 0x8b}) {
		t.Errorf("revision stored with an empty key starts %x, want a clear gzip stream", stored[:min(8, len(stored))])
	}
}
