// Package service is what every Dray service's main shares: flags and DRAY_* defaults, the
// logger, the NATS connection with the layout declared, /healthz, /readyz and /metrics, and
// shutdown on SIGINT or SIGTERM.
package service
