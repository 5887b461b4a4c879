package bus

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drayhq/dray/pkg/metric"
)

// Results of handling one message, the result label of dray_messages_handled_total.
const (
	resultAcked   = "acked"   // the handler succeeded and the message was acked
	resultHandled = "handled" // the handler settled the message itself (ErrHandled)
	resultRetried = "retried" // the handler failed; the message is delivered again later
	resultDead    = "dead"    // the message was dead-lettered
)

// consumerMetrics are the families Consume exports, one set per registry, labelled by
// consumer (a durable name Dray chooses, so the label set is bounded).
type consumerMetrics struct {
	dead        *prometheus.CounterVec
	handled     *prometheus.CounterVec
	redelivered *prometheus.CounterVec
	inFlight    *prometheus.GaugeVec
	duration    *prometheus.HistogramVec
	info        *consumerInfo
}

func newConsumerMetrics(reg prometheus.Registerer) (*consumerMetrics, error) {
	m := &consumerMetrics{}
	var err error
	if m.dead, err = deadLetters(reg); err != nil {
		return nil, err
	}
	if m.handled, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_messages_handled_total",
		Help: "Messages a consumer handled, by consumer and result (acked, handled, retried, dead).",
	}, []string{"consumer", "result"})); err != nil {
		return nil, err
	}
	if m.redelivered, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_messages_redelivered_total",
		Help: "Messages a consumer received again (delivery count above 1): after a failure, a crash or an expired ack wait.",
	}, []string{"consumer"})); err != nil {
		return nil, err
	}
	if m.inFlight, err = metric.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dray_messages_in_flight",
		Help: "Messages a consumer is handling now; for an executor's consumer, the step jobs it runs.",
	}, []string{"consumer"})); err != nil {
		return nil, err
	}
	if m.duration, err = metric.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dray_message_handle_duration_seconds",
		Help:    "Time a consumer's handler took for one message.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	}, []string{"consumer"})); err != nil {
		return nil, err
	}
	if m.info, err = metric.Register(reg, newConsumerInfo()); err != nil {
		return nil, err
	}
	return m, nil
}

// init makes durable's series exist at zero, so that a rate over them is defined (and an
// alert on them can fire) before the first message.
func (m *consumerMetrics) init(durable string) {
	for _, r := range []string{resultAcked, resultHandled, resultRetried, resultDead} {
		m.handled.WithLabelValues(durable, r)
	}
	m.redelivered.WithLabelValues(durable)
	m.inFlight.WithLabelValues(durable)
	m.dead.WithLabelValues(durable, ReasonMaxDeliveries)
}

// consumerInfo exports what JetStream reports of each consumer this process consumes from:
// messages waiting to be delivered, and delivered but not yet acknowledged. It asks the
// server at each scrape.
type consumerInfo struct {
	pending, ackPending, redelivered *prometheus.Desc

	mu        sync.Mutex
	consumers map[[2]string]jetstream.JetStream // stream, durable
}

// consumerInfoTimeout bounds the requests of one scrape.
const consumerInfoTimeout = 2 * time.Second

func newConsumerInfo() *consumerInfo {
	labels := []string{"stream", "consumer"}
	return &consumerInfo{
		pending: prometheus.NewDesc("dray_nats_consumer_pending_messages",
			"Messages of the consumer's stream not yet delivered to it (its backlog), as JetStream reports.", labels, nil),
		ackPending: prometheus.NewDesc("dray_nats_consumer_ack_pending_messages",
			"Messages delivered to the consumer and not yet acknowledged, as JetStream reports.", labels, nil),
		redelivered: prometheus.NewDesc("dray_nats_consumer_redelivered_messages",
			"Messages delivered to the consumer more than once and not yet acknowledged, as JetStream reports.", labels, nil),
		consumers: map[[2]string]jetstream.JetStream{},
	}
}

func (c *consumerInfo) add(js jetstream.JetStream, stream, durable string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.consumers[[2]string{stream, durable}] = js
}

func (c *consumerInfo) remove(stream, durable string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.consumers, [2]string{stream, durable})
}

// Describe implements prometheus.Collector.
func (c *consumerInfo) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.ackPending
	ch <- c.redelivered
}

// Collect implements prometheus.Collector. A consumer whose info cannot be read now (a
// leader election) is left out of this scrape.
func (c *consumerInfo) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	consumers := make(map[[2]string]jetstream.JetStream, len(c.consumers))
	for k, js := range c.consumers {
		consumers[k] = js
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), consumerInfoTimeout)
	defer cancel()
	for k, js := range consumers {
		cons, err := js.Consumer(ctx, k[0], k[1])
		if err != nil {
			continue
		}
		info := cons.CachedInfo() // fetched just now by js.Consumer
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(info.NumPending), k[0], k[1])
		ch <- prometheus.MustNewConstMetric(c.ackPending, prometheus.GaugeValue, float64(info.NumAckPending), k[0], k[1])
		ch <- prometheus.MustNewConstMetric(c.redelivered, prometheus.GaugeValue, float64(info.NumRedelivered), k[0], k[1])
	}
}
