// Package image discovers container images for an image subscription (docs/resources.md#image-subscriptions): it
// lists a repository's tags with go-containerregistry, filters and orders them by the
// subscription's selection strategy, and records each chosen image's digest, annotations and
// build time.
//
// Cost: SemVer and Lexical list the tags once and read the metadata of the discoveryLimit best
// tags only (more when a platform filter rejects some); Digest reads one tag; NewestBuild reads
// the metadata of every candidate tag. Reads run concurrently, at most Options.Concurrency at a
// time per subscription. Lookup reads exactly one tag or digest, for webhooks that name it,
// and Merge folds its result into an earlier discovery. A Lister shares one tag listing of a
// repository between the subscriptions that watch it.
package image
