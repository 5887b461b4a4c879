package observability_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// BenchmarkStepTracing measures what tracing adds to the step path, in dray up with metrics
// on (they always are): each iteration promotes, through the API, into a Stage of one noop
// step and into one of four, and the p50 of the difference over three is the cost of one
// step from dispatch to the next step's dispatch (scheduler render, job, executor, result,
// state record, event). "off" records no spans (trace context still travels in headers);
// "on" records every span, sampled always, into a batching exporter that drops them, so it
// counts the SDK's cost and not an OTLP collector's.
func BenchmarkStepTracing(b *testing.B) {
	for _, tc := range []struct {
		name string
		tp   func() trace.TracerProvider
	}{
		{"off", func() trace.TracerProvider { return nil }},
		{"on", func() trace.TracerProvider {
			return sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
				sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := start(b, tc.tp())
			f := h.freight(b)
			for _, n := range []int{1, 4} {
				h.put(b, v1.KindStage, fmt.Sprintf("steps-%d", n), &v1.Stage{
					TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
					Metadata: v1.ObjectMeta{Name: fmt.Sprintf("steps-%d", n), Namespace: project},
					Spec: v1.StageSpec{
						RequestedFreight:  []v1.FreightRequest{{Origin: v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "app"}, Sources: v1.FreightSources{Direct: true}}},
						PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: slices.Repeat([]v1.PromotionStep{{Uses: "noop"}}, n)}},
					},
				})
			}
			finished := make(chan *nats.Msg, 16)
			sub, err := h.bus.Conn.ChanSubscribe(bus.EventSubject(project, v1.TypePromotionSucceeded), finished)
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Unsubscribe()
			i := 0
			promote := func(stage string) time.Duration {
				i++
				started := time.Now()
				res, err := h.client.Promote(b.Context(), &v1.PromoteCommand{Project: project, Stage: stage, Freight: f, ID: fmt.Sprintf("bench-%d", i)})
				if err != nil {
					b.Fatal(err)
				}
				for {
					select {
					case m := <-finished:
						var e v1.Event
						var d v1.PromotionEvent
						if json.Unmarshal(m.Data, &e) == nil && json.Unmarshal(e.Data, &d) == nil && d.Promotion == res.Promotion {
							return time.Since(started)
						}
					case <-time.After(wait):
						b.Fatalf("promotion %s did not succeed within %s", res.Promotion, wait)
					}
				}
			}
			promote("steps-1") // warm up consumers and caches
			promote("steps-4")
			var one, four []time.Duration
			for b.Loop() {
				one = append(one, promote("steps-1"))
				four = append(four, promote("steps-4"))
			}
			perStep := (p50(four) - p50(one)) / 3
			b.ReportMetric(float64(perStep.Microseconds())/1000, "ms/step-p50")
			b.ReportMetric(float64(p50(one).Microseconds())/1000, "ms/promotion-p50")
		})
	}
}

func p50(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
