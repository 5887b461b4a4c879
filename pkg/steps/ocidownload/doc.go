// Package ocidownload implements the oci-download step: it writes one layer of an OCI
// artifact, such as a Helm chart's archive, to a file in the promotion workspace.
//
// Example:
//
//	steps:
//	- uses: oci-download
//	  config:
//	    imageRef: oci://ghcr.io/example/charts/app:${{ vars.version }}
//	    outPath: ./charts/app.tgz
//	    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
//
// imageRef is [oci://]registry/repo:tag or registry/repo@sha256:…; with oci:// the project's
// Helm credentials for the repository are used, otherwise its image credentials; without
// any, or without a secret store, the registry is reached anonymously. An index resolves to
// its linux/amd64 image. The layer written is the first whose media type is mediaType, or
// the first layer when mediaType is empty; its blob is written as stored (compressed), and
// its digest is verified while reading.
//
// The file is written atomically beside outPath and moved into place; parent directories
// are created. An existing outPath fails the step (terminal) unless allowOverwrite is set.
// outPath may not leave the workspace, also through a symlink (terminal). A layer over 100
// MiB, a missing layer of mediaType and an image without layers are terminal; registry
// errors are retried. No output.
//
// On the http executor, the project's host allowlist (--http-allowed-hosts) holds every request
// the step makes, redirects and token requests included: a host it does not name is refused,
// terminally, with reason HostNotAllowed, and link-local addresses are never dialled.
package ocidownload
