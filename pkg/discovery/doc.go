// Package discovery holds the artifact-selection rules that image, Git-tag and chart discovery
// share (RESOURCES.md §2.2–§2.4): tag filtering by allow/ignore regexes, semver and lexical
// ordering, and the discovery limit. Its subpackages image and chart discover artifacts in
// registries and chart repositories.
package discovery
