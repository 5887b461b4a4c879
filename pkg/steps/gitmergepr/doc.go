// Package gitmergepr implements the git-merge-pr step: it merges a pull request through the
// Git hosting provider's API, synchronously (no merge queues).
//
// Example:
//
//	steps:
//	- uses: git-merge-pr
//	  config:
//	    repoURL: https://gitlab.com/acme/deploy.git
//	    prNumber: ${{ outputs['open-pr'].pr.id }}
//	    mergeMethod: squash
//	    wait: true
//
// Already merged ⇒ Succeeded (so running it again is safe). Closed without being merged,
// merge conflicts, or an API error ⇒ Failed, terminal. A pull request that is not mergeable
// yet (draft, checks or approvals pending, mergeability being computed) ⇒ Running, tried again
// after pollInterval (default 10s), when wait is true, else Failed, terminal (reason
// NotMergeable). Output: commit, the merge commit.
//
// mergeMethod values: GitHub merge (default), rebase, squash; GitLab merge, squash; Gitea
// merge (default), rebase, rebase-merge, squash, fast-forward-only, manually-merged; Bitbucket
// merge_commit (default), squash, fast_forward.
package gitmergepr
