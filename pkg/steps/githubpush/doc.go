// Package githubpush implements the github-push step (Kargo v1.10): it pushes a working tree's
// new commits to a GitHub repository through GitHub's Git database API instead of git, so that
// GitHub makes each commit as the token's user and signs it, and the commits show as Verified.
//
// Example:
//
//	steps:
//	- uses: github-push
//	  config:
//	    path: out
//	    targetBranch: stage/prod
//
// The step reads the branch with git (fetch), integrates what others pushed meanwhile as
// git-push does (the AlwaysRebase policy; not with force or generateTargetBranch), then
// recreates each local commit above the remote branch, oldest first: a blob per changed file
// (POST /git/blobs), a tree on the parent's (POST /git/trees), and a commit with the original
// message and no author or committer (POST /git/commits), a Co-authored-by trailer naming the
// original author. Then it moves the branch (PATCH /git/refs/heads/<branch>, or POST /git/refs
// for a new one) and brings the working tree to the new commits. When the branch moved
// meanwhile (422 "Update is not a fast forward") it starts over, up to maxAttempts rounds with
// git-push's backoff.
//
// Credentials are the project's git credentials for the repository URL; the password is the
// API token. Outputs: commit (the branch's new head), branch and commitURL.
//
// A bad config, a working tree whose remote is not on GitHub, a merge commit among the commits
// to push (only a straight line can be recreated) and a merge conflict are terminal; API and
// network errors are retried.
package githubpush
