// Package callout answers nats-server's auth callout: a client that presents a Dray API
// token becomes a NATS user that may publish only its project's commands, under its own
// name, and read only the project's events (pkg/bus/README.md, "Who may do what on the bus").
package callout
