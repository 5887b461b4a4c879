// Package gitrepo is the Git working-tree library the git steps share: clone a remote into a
// working tree, commit everything in it, and push it back, integrating changes that others
// pushed meanwhile. It uses go-git, so no git CLI is needed.
//
// Layout: every checkout is its own clone (a .git directory inside the working tree). The
// reference shares one bare clone between the working trees of a git-clone step; that only
// saves disk and bandwidth, and is not done here. Instead a Cache, shared by a process's clones
// and pushes, keeps depth-1 snapshots of the commits they saw: a branch clone whose head is in
// the cache asks the remote only for its references and copies the snapshot, so it makes the
// same working tree without a fetch.
//
// Clones of a branch, of a tag and of the default branch are shallow (depth 1). Pushing from a
// shallow clone after the remote moved makes go-git fail with "object not found" instead of
// reporting a non-fast-forward; Push treats both the same way: it fetches the remote branch,
// replays the local commits onto it and pushes again.
//
// Integration follows the AlwaysRebase policy: go-git has no rebase, so each local commit's
// changes are applied to the new remote head as a three-way merge per file (line-based for
// text files). Overlapping edits are a *ConflictError.
//
// Credentials: every network operation asks an Auth for the remote's credentials; a nil Auth
// means anonymous access.
package gitrepo
