package executor

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dray_step_duration_seconds",
		Help:    "Time to run one step attempt, by step kind and status.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	}, []string{"uses", "status"})}
	if reg == nil {
		return m, nil
	}
	if err := reg.Register(m.duration); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, err
		}
		m.duration = are.ExistingCollector.(*prometheus.HistogramVec)
	}
	return m, nil
}

func (m *metrics) observe(uses, status string, d time.Duration) {
	m.duration.WithLabelValues(uses, status).Observe(d.Seconds())
}
