// Package metrics holds the state service's Prometheus families (docs/observability.md):
// Promotions started and finished, and each Stage's queue.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/metric"
	"github.com/drayhq/dray/pkg/promotion"
)

// Metrics are the state service's families. Project and Stage are names users choose, so
// each family keeps metric.DefaultMaxSeries of them per process and folds the rest into
// metric.Other.
type Metrics struct {
	started, finished *prometheus.CounterVec
	limit             *metric.Limiter
	queues            *queueCollector
}

// New registers the families with reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{limit: metric.NewLimiter(0)}
	var err error
	if m.started, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_promotions_started_total",
		Help: "Promotions that started running (left their Stage's queue), by project and stage.",
	}, []string{"project", "stage"})); err != nil {
		return nil, err
	}
	if m.finished, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_promotions_finished_total",
		Help: "Promotions that finished, by project, stage and phase (Succeeded, Failed, Errored, Aborted).",
	}, []string{"project", "stage", "phase"})); err != nil {
		return nil, err
	}
	if m.queues, err = metric.Register(reg, newQueueCollector()); err != nil {
		return nil, err
	}
	return m, nil
}

// PromotionStarted counts a Promotion of project's stage that started running.
func (m *Metrics) PromotionStarted(project, stage string) {
	m.started.WithLabelValues(m.limit.Values(project, stage)...).Inc()
}

// PromotionFinished counts a Promotion of project's stage that finished in phase.
func (m *Metrics) PromotionFinished(project, stage, phase string) {
	l := m.limit.Values(project, stage)
	m.finished.WithLabelValues(l[0], l[1], phase).Inc()
}

// queueCollector exports each Stage's queue as last written by this service: how many
// Promotions wait, and how long the oldest has waited (from the time in its name). Past
// metric.DefaultMaxSeries Stages, the rest are summed into one metric.Other series.
type queueCollector struct {
	length, age *prometheus.Desc

	mu     sync.Mutex
	stages map[[2]string]queueState // project, stage
	order  [][2]string              // first seen first: those keep their own series
}

type queueState struct {
	length int
	oldest time.Time // zero: none or unknown
}

func newQueueCollector() *queueCollector {
	labels := []string{"project", "stage"}
	return &queueCollector{
		length: prometheus.NewDesc("dray_stage_queue_length",
			"Promotions queued in a Stage, waiting for the running one, a window or a resume.", labels, nil),
		age: prometheus.NewDesc("dray_stage_queue_oldest_age_seconds",
			"How long the oldest Promotion queued in a Stage has waited since it was requested; 0 when none waits.", labels, nil),
		stages: map[[2]string]queueState{},
	}
}

// Queue records st's queue as that of project's stage, as last written.
func (m *Metrics) Queue(project, stage string, st *v1.StageStatus) { m.queues.set(project, stage, st) }

// set records st as the queue of project's stage.
func (c *queueCollector) set(project, stage string, st *v1.StageStatus) {
	q := queueState{length: len(st.Queued)}
	for _, r := range st.Queued {
		if t, ok := promotion.CreatedAt(r.Name); ok && (q.oldest.IsZero() || t.Before(q.oldest)) {
			q.oldest = t
		}
	}
	k := [2]string{project, stage}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.stages[k]; !ok {
		c.order = append(c.order, k)
	}
	c.stages[k] = q
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.length
	ch <- c.age
}

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	age := func(q queueState) float64 {
		if q.oldest.IsZero() {
			return 0
		}
		return max(now.Sub(q.oldest).Seconds(), 0)
	}
	var other queueState
	others := false
	for i, k := range c.order {
		q := c.stages[k]
		if i < metric.DefaultMaxSeries {
			ch <- prometheus.MustNewConstMetric(c.length, prometheus.GaugeValue, float64(q.length), k[0], k[1])
			ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age(q), k[0], k[1])
			continue
		}
		others = true
		other.length += q.length
		if !q.oldest.IsZero() && (other.oldest.IsZero() || q.oldest.Before(other.oldest)) {
			other.oldest = q.oldest
		}
	}
	if others {
		ch <- prometheus.MustNewConstMetric(c.length, prometheus.GaugeValue, float64(other.length), metric.Other, metric.Other)
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age(other), metric.Other, metric.Other)
	}
}
