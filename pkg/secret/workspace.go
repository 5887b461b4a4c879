package secret

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// workspaceKeyInfo derives the key that encrypts workspace revisions from the secrets key:
// it opens neither a stored Secret nor a sealed job, and they do not open with it.
const workspaceKeyInfo = "dray v1 workspace revisions"

// newWorkspaceKey derives the workspace key from the secrets key with HKDF-SHA256.
func newWorkspaceKey(key []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, key, nil, workspaceKeyInfo, KeySize)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	return k, nil
}

// WorkspaceKey returns the key that encrypts workspace revisions in the dray-workspaces
// object store (workspace.WithKey), derived from the secrets key, so that every process
// holding the secrets key reads the workspaces every other one stored. A nil Store (a
// process started without the secrets key) returns nil: its workspaces stay in clear.
func (st *Store) WorkspaceKey() []byte {
	if st == nil {
		return nil
	}
	return bytes.Clone(st.workspace)
}
