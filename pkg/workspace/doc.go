// Package workspace gives every promotion a versioned directory tree that its steps share,
// although they run in different processes: an executor checks out revision N, the step works
// on a local directory, and if the tree changed the executor stores revision N+1 (a gzipped tar)
// in the dray-workspaces object store before it reports. A local cache keeps the latest
// revision of each promotion, so an executor (or every executor of a dray up process, which
// share one Store) does not download what it produced itself.
//
// # Encryption at rest
//
// A workspace holds what steps wrote, secret values included (a yaml-update of a secret, a
// rendered manifest, a clone of a private repository), and anyone allowed to read $O.> on
// NATS could read the object store. So a Store made WithKey encrypts every revision (chunked
// AES-256-GCM under a per-archive key, see encrypt.go), bound to its promotion and revision,
// and restores only revisions that open with its key: a damaged, cut-short, swapped, clear or
// foreign archive fails with an error wrapping ErrUnreadable. Executors derive the key from
// the secrets key (secret.Store.WorkspaceKey), which dray up always has.
//
// Without a key, a Store stores and reads revisions in clear, rather than refusing to work:
// the key is optional for a service (an executor that runs no step reading a secret needs
// none), tests and embedders run executors without one, and a deployment with no secrets key
// has no Secrets whose values could reach a workspace. dray run keeps its workspace in a
// local directory and uses no Store. What a Store does not do is mix: with a key it refuses
// a clear revision (one an attacker who can write the object store could have put there), and
// without one it cannot read an encrypted revision; both errors say to give every executor
// the same --secrets-key-file.
package workspace
