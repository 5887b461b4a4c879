// Package discovery holds the artifact-selection rules that image, Git-tag and chart discovery
// share (docs/resources.md#warehouse): tag filtering by allow/ignore regexes, semver and lexical
// ordering, and the discovery limit. Its subpackages image and chart discover artifacts in
// registries and chart repositories.
package discovery
