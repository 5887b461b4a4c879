// Package executorgit is the git executor service: it runs the git steps (git-clone, git-commit, git-push) against the promotion workspace. It is wiring: the job
// loop is pkg/executor's.
package executorgit
