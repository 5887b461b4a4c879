// Package gitcommit implements the git-commit step: it stages every change in a working tree
// (additions, modifications, deletions) and commits it.
//
// Example:
//
//	steps:
//	- uses: git-commit
//	  config:
//	    path: out
//	    message: ${{ outputs['update'].commitMessage }}
//
// Output: commit, the SHA of the new commit. When nothing differs from HEAD no commit is made,
// the step is Skipped and commit is the existing HEAD; so running the step again is safe.
//
// The identity is the one git-clone recorded for the working tree (default
// Dray <no-reply@dray.dev>); the deprecated author field overrides it. Signing
// (author.signingKey) is not supported yet and is rejected.
package gitcommit
