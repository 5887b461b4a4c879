// Package warehouse is the warehouse service. It will discover new images, commits and charts
// and publish Freight; for now it starts, declares its NATS resources and reports healthy, and
// Freight is created by hand with dray apply.
package warehouse
