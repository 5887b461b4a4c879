package gateway

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/drayhq/dray/pkg/metric"
)

// metrics are the gateway's families (docs/observability.md). Routes are the patterns the
// gateway registers and providers the ones it knows, so every label set is bounded.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	webhooks *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{}
	var err error
	if m.requests, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_api_requests_total",
		Help: "HTTP requests the gateway answered, by route pattern (unmatched for none) and status code.",
	}, []string{"route", "code"})); err != nil {
		return nil, err
	}
	if m.duration, err = metric.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dray_api_request_duration_seconds",
		Help:    "Time the gateway took to answer an HTTP request, by route pattern.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	}, []string{"route"})); err != nil {
		return nil, err
	}
	if m.webhooks, err = metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_webhook_deliveries_total",
		Help: "Webhook deliveries, by provider (unknown before a receiver matched) and result (accepted, refused, invalid, no_receiver, failed).",
	}, []string{"provider", "result"})); err != nil {
		return nil, err
	}
	return m, nil
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// instrument counts and times every request by the route pattern that served it, and runs it
// in a server span that continues the caller's W3C trace context, if any: a command's trace
// starts here (README.md, "Operate").
func (m *metrics) instrument(tracer trace.Tracer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)
		route := r.Pattern // set by the ServeMux on r
		if route == "" {
			route = "unmatched"
		}
		code := sw.status()
		span.SetName(route)
		span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", code))
		if code >= 500 {
			span.SetStatus(codes.Error, http.StatusText(code))
		}
		m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(started).Seconds())
	})
}

// webhookDelivered counts one webhook delivery of provider by the status it was answered with.
func (m *metrics) webhookDelivered(provider string, code int) {
	result := "failed"
	switch {
	case code < 300:
		result = "accepted"
	case code == http.StatusUnauthorized:
		result = "refused"
	case code == http.StatusNotFound:
		result = "no_receiver"
	case code == http.StatusBadRequest || code == http.StatusRequestEntityTooLarge:
		result = "invalid"
	}
	m.webhooks.WithLabelValues(provider, result).Inc()
}
