package executor

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drayhq/dray/pkg/metric"
)

// metrics are an executor's families (docs/observability.md), labelled by executor kind, step
// kind (uses) and status: all bounded by the steps Dray and the project's custom steps
// define. Jobs waiting and redelivered are the consumer's (pkg/bus metrics.go, consumer
// executor-<name>).
type metrics struct {
	duration *prometheus.HistogramVec
	attempts *prometheus.CounterVec
	running  *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{}
	var err error
	if m.duration, err = metric.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dray_step_duration_seconds",
		Help:    "Time to run one step attempt (workspace checkout, step, workspace store), by executor, step kind and status.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	}, []string{"executor", "uses", "status"})); err != nil {
		return nil, err
	}
	if m.attempts, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_step_attempts_total",
		Help: "Step attempts an executor finished, by executor, step kind and status (Succeeded, Failed, Errored, Running, Skipped).",
	}, []string{"executor", "uses", "status"})); err != nil {
		return nil, err
	}
	if m.running, err = metric.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dray_steps_running",
		Help: "Step attempts an executor runs now.",
	}, []string{"executor"})); err != nil {
		return nil, err
	}
	return m, nil
}

// start counts a step attempt of executor as running until the returned func is called.
func (m *metrics) start(executor string) (done func()) {
	g := m.running.WithLabelValues(executor)
	g.Inc()
	return g.Dec
}

func (m *metrics) observe(executor, uses, status string, d time.Duration) {
	m.duration.WithLabelValues(executor, uses, status).Observe(d.Seconds())
	m.attempts.WithLabelValues(executor, uses, status).Inc()
}
