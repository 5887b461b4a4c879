package bus

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkMessageMetrics is what Consume's metrics cost one message: the in-flight gauge,
// the handler's time and the result. A step's path handles three messages (scheduler,
// executor, state), so three times this is the metrics' share of a step.
func BenchmarkMessageMetrics(b *testing.B) {
	m, err := newConsumerMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		g := m.inFlight.WithLabelValues("executor-git")
		g.Inc()
		g.Dec()
		m.duration.WithLabelValues("executor-git").Observe(0.004)
		m.handled.WithLabelValues("executor-git", resultAcked).Inc()
	}
}
