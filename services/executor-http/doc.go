// Package executorhttp is the http executor service: it runs the http and http-download
// steps, with the operator's limits on their requests (Options: response and download size,
// redirects, a per-project host allowlist, CAs). It is wiring: the job loop is
// pkg/executor's.
package executorhttp
