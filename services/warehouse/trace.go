package warehouse

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// traceDiscovery starts the span of one Warehouse's discovery. A discovery that a refresh
// asked for (a webhook, dray refresh) continues the refresh's trace, so a push and the
// Freight it made are one trace, and links the other refreshes it serves; a poll starts a
// trace of its own.
func (s *tracker) traceDiscovery(ctx context.Context, j job) (context.Context, trace.Span) {
	opts := []trace.SpanStartOption{trace.WithAttributes(
		attribute.String("dray.project", j.project), attribute.String("dray.warehouse", j.wh.Metadata.Name),
		attribute.Int("dray.refreshes", len(j.refreshes)))}
	parent := false
	for _, r := range j.refreshes {
		if !r.trace.IsValid() {
			continue
		}
		if !parent {
			ctx, parent = trace.ContextWithRemoteSpanContext(ctx, r.trace), true
			continue
		}
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: r.trace}))
	}
	if !parent {
		opts = append(opts, trace.WithNewRoot())
	}
	return s.Bus.Tracer().Start(ctx, "discover warehouse", opts...)
}
