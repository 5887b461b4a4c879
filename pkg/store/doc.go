// Package store reads resources and recorded state from the NATS buckets by their Dray names:
// a project's Stages, Warehouses, Freight by name or alias, Promotions. It also creates
// Freight (CreateFreight), which the gateway and the warehouse service share.
package store
