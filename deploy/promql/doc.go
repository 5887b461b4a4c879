// Package promql checks Dray's Grafana dashboard and Prometheus alert rules: every expression
// parses with Prometheus's own parser and names only metric families Dray exports (listed in
// deploy/metrics.txt). It is a module of its own, outside go.work, because the Prometheus
// module brings a large dependency tree that the services should not share; run it with
// make test, or: cd deploy/promql && GOWORK=off go test ./...
package promql
