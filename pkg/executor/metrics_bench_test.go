package executor

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkStepMetrics is what the executor's metrics cost one step attempt: the running
// gauge, the duration histogram and the attempts counter.
func BenchmarkStepMetrics(b *testing.B) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		done := m.start("git")
		m.observe("git", "git-clone", "Succeeded", 4*time.Millisecond)
		done()
	}
}
