// Package gitopenpr implements the git-open-pr step: it opens a pull request from a source
// branch into a target branch through the Git hosting provider's API, or reuses one.
//
// Example:
//
//	steps:
//	- uses: git-push
//	  as: push
//	  config: {path: out, generateTargetBranch: true}
//	- uses: git-open-pr
//	  as: open-pr
//	  config:
//	    repoURL: https://github.com/acme/deploy.git
//	    sourceBranch: ${{ outputs.push.branch }}
//	    targetBranch: main
//	    labels: [promotion]
//
// Behaviour: (1) when the step's previous output already holds pr.id, it is returned
// unchanged; (2) the heads of both branches are read from the remote (a missing branch is
// Errored, retried) and the source head commit is fetched (depth 1, in memory: the workspace is
// not touched); a pull request from the source branch at that commit into the target branch
// that is open or merged is reused, open first, then merged, then the newest; (3) when both
// branches hold the same tree the status is Skipped, with no output; (4) otherwise the pull
// request is created, titled with the head commit's first line and described with the rest
// unless title and description are set, plus a link to the Stage in Dray's UI when one is
// configured (WithUIBaseURL). Output: pr {id, url}.
//
// labels are applied on GitHub and GitLab only. The token is the password of the project's
// git credentials for repoURL, which also reach the repository over Git.
package gitopenpr
