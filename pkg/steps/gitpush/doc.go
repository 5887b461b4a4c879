// Package gitpush implements the git-push step: it pushes a working tree's HEAD to its remote,
// integrating changes that others pushed meanwhile, or pushes a tag.
//
// Example:
//
//	steps:
//	- uses: git-push
//	  config:
//	    path: out
//	    provider: github
//
// Outputs: commit (the pushed HEAD), branch (the target branch; for a tag push, the checked-out
// branch) and, when the provider is known or can be inferred from the URL (github.com,
// gitlab.com, bitbucket.org, dev.azure.com), commitURL.
//
// Branch push: the target is targetBranch, else kargo/promotion/<promotion> with
// generateTargetBranch (always forced), else the checked-out branch. Unless forced, a push the
// remote rejects because the branch moved is followed by integration (the AlwaysRebase policy:
// local commits are replayed onto the remote branch) and another push, up to maxAttempts
// rounds with backoff 1 s ×1.5 (jitter 0.5, cap 30 s). A merge conflict is terminal (reason
// MergeConflict); running out of attempts is retryable (reason PushRejected). Pushes to the
// same repository branch are serialised within the process and, with a lease (WithLease; the
// git executor takes it in the dray-locks bucket), across the executor's replicas: the holder
// integrates the remote branch first, so its push succeeds at once.
//
// With a clone cache (WithCache, shared with git-clone), the pushed commit goes into it, so
// that the next git-clone of the branch needs no fetch while nobody else pushes.
//
// Running the step again is safe: pushing a commit the remote already has (at the branch tip,
// or below commits others added since) succeeds.
//
// Only the AlwaysRebase integration policy is implemented; AlwaysMerge, RebaseOrMerge and
// RebaseOrFail are not.
package gitpush
