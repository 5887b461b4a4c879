package gitrepo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
)

// PushLease serialises pushes to one repository branch across processes, e.g. the replicas
// of the git executor. *lease.Leases implements it over a NATS KV bucket.
type PushLease interface {
	// Acquire waits until the caller holds the lease on key, or ctx ends, and returns the
	// function that gives it back.
	Acquire(ctx context.Context, key string) (release func(), err error)
}

// PushLeaseKey is the lease key of pushes to branch of the remote url: "push." and a hash of
// the normalised URL (see Cache) and the branch, so that every spelling of one remote shares
// a lease and no URL, nor credentials in it, appears in the key.
func PushLeaseKey(url, branch string) string {
	sum := sha256.Sum256([]byte(normalURL(url) + "\x00" + branch))
	return "push." + hex.EncodeToString(sum[:16])
}
