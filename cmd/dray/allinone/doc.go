// Package allinone runs every Dray service in one process on an embedded nats-server: it is
// dray up, and what the end-to-end tests and the benchmark start. The services talk through
// NATS exactly as they do when they run apart; only the connections are in-process.
package allinone
