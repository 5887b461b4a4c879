// Package ocipush implements the oci-push step: it copies an image or a whole index to a
// tag, in the same repository (a retag) or another one, optionally adding annotations.
//
// Example:
//
//	steps:
//	- uses: oci-push
//	  config:
//	    srcRef: registry.example.com/app@${{ imageFrom('registry.example.com/app').Digest }}
//	    destRef: registry.example.com/app:prod
//	    annotations:
//	      index:org.opencontainers.image.ref.name: prod
//	      dray.dev/promotion: ${{ ctx.promotion }}
//
// srcRef is a tag or a digest; destRef must end in an explicit tag. Either may start with
// oci://, which selects the project's Helm credentials for that repository instead of its
// image credentials; without any, or without a secret store, the registry is reached
// anonymously.
//
// An index is copied whole, with every manifest it lists. annotations are added to (or
// overwrite those of) the manifest; a key prefixed "manifest:" does the same, and a key
// prefixed "index:" targets the index instead and is ignored for a single image. For an
// index, manifest annotations go to every image manifest it lists, and the index is rebuilt
// over the new manifests. Without annotations, a push within the same repository only tags
// the existing manifest. A copy to another repository may move at most 1 GiB of compressed
// blobs (the config and layers of every image); a larger one is terminal.
//
// Outputs: image (destRef as configured), digest (of what the tag now names) and tag.
//
// On the http executor, the project's host allowlist (--http-allowed-hosts) holds every request
// the step makes, redirects and token requests included: a host it does not name is refused,
// terminally, with reason HostNotAllowed, and link-local addresses are never dialled.
package ocipush
