// Package client is a Go client of the gateway's HTTP API (/api/v1), used by the dray CLI.
package client
