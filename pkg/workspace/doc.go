// Package workspace gives every promotion a versioned directory tree that its steps share,
// although they run in different processes: an executor checks out revision N, the step works
// on a local directory, and if the tree changed the executor stores revision N+1 (a gzipped tar)
// in the dray-workspaces object store before it reports. A local cache keeps the latest
// revision of each promotion, so an executor (or every executor of a dray up process, which
// share one Store) does not download what it produced itself.
package workspace
