// Package gitwaitforpr implements the git-wait-for-pr step: it reads a pull request from the
// Git hosting provider's API and reports Running until the pull request is merged.
//
// Example:
//
//	steps:
//	- uses: git-wait-for-pr
//	  as: wait
//	  retry: {timeout: 48h}
//	  config:
//	    repoURL: https://github.com/acme/deploy.git
//	    prNumber: ${{ outputs['open-pr'].pr.id }}
//
// Each attempt reads the pull request once: open ⇒ Running, polled again after pollInterval
// (default 30s); merged ⇒ Succeeded; closed without being merged ⇒ Failed, terminal (reason
// PullRequestClosed). Every attempt outputs pr {id, url, open, merged}, and commit (the merge
// commit) once merged. The provider is inferred from the URL or set with provider; the token
// is the password of the project's git credentials for repoURL. retry.timeout bounds the
// wait.
package gitwaitforpr
