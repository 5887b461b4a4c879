// Package store reads resources and recorded state from the NATS buckets by their Dray names:
// a project's Stages, Freight by name or alias, Promotions.
package store
