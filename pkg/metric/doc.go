// Package metric holds what Dray's services share to export Prometheus metrics: registering a
// collector once per registry, and keeping label sets built from user-chosen names (projects,
// Stages, Warehouses) bounded. docs/observability.md lists every family.
package metric
