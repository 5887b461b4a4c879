package bus

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// BenchmarkHopTracing is what tracing costs one hop of a message, CPU only: the publish span
// with its context written into the headers, then the handle span continuing it from them.
// "off" records nothing (headers are still written); "on" records both spans, sampled, into
// a batching exporter that drops them. A step's path has about three hops.
func BenchmarkHopTracing(b *testing.B) {
	for _, tc := range []struct {
		name string
		tp   trace.TracerProvider
	}{
		{"off", nil},
		{"on", sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(tracetest.NewNoopExporter()))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bus := &Bus{tracer: newTracer(tc.tp)}
			ctx, root := bus.tracer.Start(context.Background(), "root")
			defer root.End()
			for b.Loop() {
				h := nats.Header{}
				pctx, pub := bus.startPublish(ctx, "dray.steps.git.shop", h)
				_ = pctx
				hctx := traceContext.Extract(context.Background(), headerCarrier(h))
				_, handle := bus.tracer.Start(hctx, "handle executor-git", trace.WithSpanKind(trace.SpanKindConsumer))
				handle.End()
				pub.End()
			}
		})
	}
}
