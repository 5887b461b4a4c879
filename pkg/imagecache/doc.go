// Package imagecache pulls OCI images with go-containerregistry and keeps each one unpacked on
// disk as a root filesystem, by digest, so that a container step run again starts from the
// unpacked tree without touching the registry's blobs.
//
// Layout under the cache directory:
//
//	images/<manifest-hex>/rootfs       the unpacked layers
//	images/<manifest-hex>/config.json  the image's runtime config (env, working dir, user)
//	refs/<top-hex>-<os>-<arch>         the platform image digest a top-level digest chose
//
// Layers are streamed from the registry, checked against their digests as they are read (a
// blob that does not match fails the pull), and unpacked through an os.Root: entries that
// climb out of the root filesystem are rejected, device nodes are skipped, setuid bits are
// dropped and OCI whiteouts are applied. A tree is renamed into place only once complete, so
// an interrupted pull leaves no half-unpacked image behind.
package imagecache
