package warehouse

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drayhq/dray/pkg/metric"
)

// metrics are the warehouse service's families (docs/observability.md), by project and
// Warehouse: names users choose, so each family keeps metric.DefaultMaxSeries of them per
// process and folds the rest into metric.Other.
type metrics struct {
	limit    *metric.Limiter
	duration *prometheus.HistogramVec
	runs     *prometheus.CounterVec
	requests *prometheus.CounterVec
	freight  *prometheus.CounterVec
}

// Results of one Warehouse's discovery, the result label of dray_discoveries_total.
const (
	discoverySucceeded = "succeeded"
	discoveryFailed    = "failed"
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{limit: metric.NewLimiter(0)}
	labels := []string{"project", "warehouse"}
	var err error
	if m.duration, err = metric.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dray_discovery_duration_seconds",
		Help:    "Time one Warehouse's discovery took, all subscriptions together.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
	}, labels)); err != nil {
		return nil, err
	}
	if m.runs, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_discoveries_total",
		Help: "Discoveries of a Warehouse, by result: failed when any subscription could not be discovered.",
	}, append(labels, "result"))); err != nil {
		return nil, err
	}
	if m.requests, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_discovery_registry_requests_total",
		Help: "HTTP requests to image registries and chart repositories made for a Warehouse's discovery (shared listings count once, for the Warehouse that made them).",
	}, labels)); err != nil {
		return nil, err
	}
	if m.freight, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_freight_created_total",
		Help: "Freight a Warehouse created from what it discovered.",
	}, labels)); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) discovered(project, warehouse string, took time.Duration, failed bool) {
	l := m.limit.Values(project, warehouse)
	m.duration.WithLabelValues(l...).Observe(took.Seconds())
	result := discoverySucceeded
	if failed {
		result = discoveryFailed
	}
	m.runs.WithLabelValues(l[0], l[1], result).Inc()
}

func (m *metrics) freightCreated(project, warehouse string) {
	m.freight.WithLabelValues(m.limit.Values(project, warehouse)...).Inc()
}

// warehouseKey carries the Warehouse a discovery is for in its context, for countingTransport.
type warehouseKey struct{}

func withWarehouse(ctx context.Context, project, warehouse string) context.Context {
	return context.WithValue(ctx, warehouseKey{}, [2]string{project, warehouse})
}

// countingTransport counts the requests of a discovery under its Warehouse.
type countingTransport struct {
	base http.RoundTripper
	m    *metrics
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if w, ok := r.Context().Value(warehouseKey{}).([2]string); ok {
		t.m.requests.WithLabelValues(t.m.limit.Values(w[0], w[1])...).Inc()
	}
	return t.base.RoundTrip(r)
}
