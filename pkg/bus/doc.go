// Package bus names and declares everything Dray keeps in NATS — streams, key-value buckets
// and the workspace object store — and connects services to it. Any service may start first:
// Declare is idempotent. See README.md beside this file for the layout.
package bus
