package secret_test

import (
	"bytes"
	"testing"

	"github.com/drayhq/dray/pkg/secret"
)

// TestWorkspaceKey: every Store over the same secrets key derives the same workspace key,
// which is neither the secrets key nor another key's; a Store with no key has none.
func TestWorkspaceKey(t *testing.T) {
	b, key := keyAndBus(t)
	got := openStore(t, b, key).WorkspaceKey()
	if len(got) != secret.KeySize {
		t.Fatalf("WorkspaceKey() = %d bytes, want %d", len(got), secret.KeySize)
	}
	if again := openStore(t, b, key).WorkspaceKey(); !bytes.Equal(got, again) {
		t.Errorf("WorkspaceKey() differs between two Stores over the same secrets key")
	}
	if bytes.Equal(got, key) {
		t.Errorf("WorkspaceKey() = the secrets key, want a key derived from it")
	}
	other := bytes.Clone(key)
	other[0] ^= 1
	if bytes.Equal(got, openStore(t, b, other).WorkspaceKey()) {
		t.Errorf("WorkspaceKey() is the same under another secrets key")
	}
	if k := (*secret.Store)(nil).WorkspaceKey(); k != nil {
		t.Errorf("nil Store's WorkspaceKey() = %x, want nil", k)
	}
}
