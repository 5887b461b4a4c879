// Package httpclient is the HTTP client the http executor's steps share (http,
// http-download, send-message, and the transport of oci-download and oci-push): the
// project's host allowlist, the refusal of private and link-local addresses, redirects, TLS,
// and errors with reasons and without secrets. Code outside pkg/steps names it through
// httpstep's aliases.
package httpclient
