// Package executorconfig is the config executor service: it runs the file and manifest steps (yaml-update) against the promotion workspace. It is wiring: the job
// loop is pkg/executor's.
package executorconfig
