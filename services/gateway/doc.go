// Package gateway is Dray's HTTP face: the JSON API that the dray CLI and other clients use
// to apply resources, read them and request promotions, plus /healthz, /readyz and /metrics.
package gateway
