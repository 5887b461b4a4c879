// Package gitclone implements the git-clone step: it clones a remote repository and checks
// out one or more branches, tags or commits as working trees in the promotion workspace.
//
// Example:
//
//	steps:
//	- uses: git-clone
//	  config:
//	    repoURL: https://github.com/example/deploy.git
//	    checkout:
//	    - branch: main
//	      path: src
//	    - branch: env/prod
//	      create: true
//	      path: out
//
// Output: commits, a map from each checkout's as (default: its path) to the SHA of its HEAD,
// e.g. outputs['step-1'].commits.out.
//
// Each checkout is its own shallow clone (depth 1; full history for a commit checkout) with
// its own .git directory, rather than a worktree of one shared bare clone as in the reference.
// The identity for later commits (author, default Dray <no-reply@dray.dev>) is recorded in each
// working tree's .git/config. A missing branch is created (an orphan with an empty commit
// "Initial commit", pushed at once) only with create: true, and is an error otherwise.
//
// With a clone cache (WithCache; the git executor has one per process), a branch checkout
// asks the remote only which commit the branch is at when the cache holds that commit (cloned
// or pushed before by this executor), and makes the working tree from the cache; otherwise it
// fetches and adds the commit to the cache. The working tree is the same either way.
//
// Running the step again is safe: a path that already holds a clone of the same repository
// with the same checkout is kept; a path holding anything else fails the step.
//
// Not supported yet: sparse (validated, but everything is checked out), blobless (a full clone
// is made) and author.signingKey (rejected).
package gitclone
