package scheduler

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/promotion"
)

// traceDispatch starts the span of rendering one step of p and sending its job, in the trace
// of the event that asked for it (so of p's trace).
func (s *scheduler) traceDispatch(ctx context.Context, p *v1.Promotion, act promotion.Action) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{
		attribute.String("dray.project", p.Metadata.Namespace), attribute.String("dray.stage", p.Spec.Stage),
		attribute.String("dray.promotion", p.Metadata.Name), attribute.Int("dray.step_index", act.Step),
		attribute.Int("dray.attempt", act.Attempt),
	}
	if act.Step < len(p.Spec.Steps) {
		st := p.Spec.Steps[act.Step]
		attrs = append(attrs, attribute.String("dray.step", st.As), attribute.String("dray.uses", st.Uses))
	}
	return s.Bus.Tracer().Start(ctx, "render and dispatch step", trace.WithAttributes(attrs...))
}
