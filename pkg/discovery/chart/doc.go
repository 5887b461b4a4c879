// Package chart discovers Helm chart versions for a chart subscription (docs/resources.md#chart-subscriptions):
// from a classic repository's index.yaml, or from the tags of an oci:// repository, ordered
// newest version first.
//
// A classic index is fetched with the request's context and decoded into Helm's
// repo.IndexFile. OCI tags are listed with go-containerregistry rather than Helm's
// registry.Client.Tags, because that call ignores the context, accepts only strict versions
// and rewrites them (v1.0.0 becomes 1.0.0), where the docs ask for lenient parsing and the
// original strings. As Helm does, an underscore in a tag stands for "+" in the version.
package chart
