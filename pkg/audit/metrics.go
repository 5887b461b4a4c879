package audit

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Failures counts appends to the trail that failed, by source (api, bus): each is a change
// refused with 503, a command handled again later, or a decision logged but not recorded.
// A nil *Failures counts nothing. It is safe for concurrent use.
type Failures struct{ c *prometheus.CounterVec }

// NewFailures registers dray_audit_append_failures_total on reg (nil: a counter of its own),
// or shares the one already there: the services of dray up share one registry.
func NewFailures(reg prometheus.Registerer) (*Failures, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_audit_append_failures_total",
		Help: "Audit records the trail did not take, by source (api, bus).",
	}, []string{"source"})
	if reg == nil {
		return &Failures{c}, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, fmt.Errorf("register dray_audit_append_failures_total: %w", err)
		}
		existing, ok := are.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return nil, fmt.Errorf("register dray_audit_append_failures_total: %w", err)
		}
		c = existing
	}
	return &Failures{c}, nil
}

// Inc counts one failed append of source.
func (f *Failures) Inc(source string) {
	if f != nil {
		f.c.WithLabelValues(source).Inc()
	}
}
