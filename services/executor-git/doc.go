// Package executorgit is the git executor service: it runs the git steps (git-clone,
// git-clear, git-commit, git-tag, git-push) against the promotion workspace. It is wiring: the
// job loop is pkg/executor's. Its replicas take turns at pushing to one repository branch
// through leases in the dray-locks bucket, so that concurrent promotions into one branch do
// not race.
package executorgit
