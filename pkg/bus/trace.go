package bus

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TracerName names the tracer of Dray's spans.
const TracerName = "github.com/drayhq/dray"

// traceContext is how a message carries its trace: W3C Trace Context, in the traceparent and
// tracestate headers (README.md, "Traces").
var traceContext = propagation.TraceContext{}

// Tracer is what Dray's services start their spans with: the TracerProvider of Options, or
// one that records nothing. Trace context still travels in message headers when nothing is
// recorded, so a process that records joins the trace of one that does not.
func (b *Bus) Tracer() trace.Tracer { return b.tracer }

func newTracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(TracerName)
}

// headerCarrier reads and writes trace context in NATS headers, keeping the lowercase names
// W3C Trace Context gives them.
type headerCarrier nats.Header

func (h headerCarrier) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h headerCarrier) Set(key, value string) { h[key] = []string{value} }

func (h headerCarrier) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// startPublish starts the span of a publish to subject and writes its context into h.
func (b *Bus) startPublish(ctx context.Context, subject string, h nats.Header) (context.Context, trace.Span) {
	ctx, span := b.tracer.Start(ctx, "publish "+subjectKind(subject), trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.String("messaging.destination.name", subject)))
	traceContext.Inject(ctx, headerCarrier(h))
	return ctx, span
}

// startHandle starts the span of handling msg, as a child of the span that published it.
func (b *Bus) startHandle(ctx context.Context, msg jetstream.Msg, durable string, delivery uint64) (context.Context, trace.Span) {
	if h := msg.Headers(); h != nil {
		ctx = traceContext.Extract(ctx, headerCarrier(h))
	}
	return b.tracer.Start(ctx, "handle "+durable, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.String("messaging.destination.name", msg.Subject()),
			attribute.String("messaging.consumer.group.name", durable), attribute.Int64("messaging.message.delivery_count", int64(delivery))))
}

// endSpan records err on span; ErrHandled is no error.
func endSpan(span trace.Span, err error) {
	if err != nil && !errors.Is(err, ErrHandled) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
}

// subjectKind is the subject without its project and names: dray.steps.git.shop becomes
// dray.steps, dray.events.shop.dev.dray.promotion.started stays apart by its type. It keeps
// span names few.
func subjectKind(subject string) string {
	parts := strings.Split(subject, ".")
	if len(parts) < 2 {
		return subject
	}
	if parts[1] == "events" && len(parts) > 3 {
		return "dray.events " + strings.Join(parts[3:], ".")
	}
	return parts[0] + "." + parts[1]
}
