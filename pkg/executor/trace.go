package executor

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// traceStep starts the span of one step attempt, a child of the job's message (so of its
// Promotion's trace), and narrows log with its trace ID. end records the attempt's outcome.
func (e *executor) traceStep(ctx context.Context, log *slog.Logger, job *v1.StepJob) (context.Context, *slog.Logger, func(*v1.StepResult)) {
	ctx, span := e.Bus.Tracer().Start(ctx, "step "+job.Uses, trace.WithAttributes(
		attribute.String("dray.project", job.Project), attribute.String("dray.stage", job.Stage),
		attribute.String("dray.promotion", job.Promotion), attribute.String("dray.step", job.Alias),
		attribute.String("dray.uses", job.Uses), attribute.Int("dray.attempt", job.Attempt),
		attribute.String("dray.executor", e.Name)))
	if sc := span.SpanContext(); sc.IsValid() {
		log = log.With("trace_id", sc.TraceID().String())
	}
	return ctx, log, func(r *v1.StepResult) {
		span.SetAttributes(attribute.String("dray.status", r.Status))
		if r.Status == v1.StepFailed || r.Status == v1.StepErrored {
			span.SetStatus(codes.Error, r.Reason+": "+r.Message)
		}
		span.End()
	}
}
