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
// on (they always are). Two instances run side by side, one recording no spans (trace
// context still travels in headers) and one recording every span, sampled always, into a
// batching exporter that drops them (the SDK's cost, not a collector's). Each iteration
// promotes, through the API, into a Stage of one noop step and into one of four, in each
// instance in turn, so both see the same load on a shared machine; the p50 of the paired
// differences over three is the cost of one step from dispatch to the next step's dispatch
// (scheduler render, job, executor, result, state record, event). BenchmarkHopTracing
// (pkg/bus) gives the CPU cost alone, which a loaded machine does not blur.
func BenchmarkStepTracing(b *testing.B) {
	off := newBenchTarget(b, nil)
	on := newBenchTarget(b, sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(tracetest.NewNoopExporter())))
	for _, t := range []*benchTarget{off, on} { // warm up consumers and caches
		t.promote(b, "steps-1")
		t.promote(b, "steps-4")
	}
	for b.Loop() {
		for _, t := range []*benchTarget{off, on} {
			t.one = append(t.one, t.promote(b, "steps-1"))
			t.four = append(t.four, t.promote(b, "steps-4"))
		}
	}
	stepOff, stepOn := off.perStep(), on.perStep()
	b.ReportMetric(float64(stepOff.Microseconds())/1000, "ms/step-p50-off")
	b.ReportMetric(float64(stepOn.Microseconds())/1000, "ms/step-p50-on")
	b.ReportMetric(100*(float64(stepOn)/float64(stepOff)-1), "%tracing")
}

// benchTarget is one Dray with Stages of one and of four noop steps, and the latencies of
// the promotions into them.
type benchTarget struct {
	h         *harness
	freight   string
	finished  chan *nats.Msg
	n         int
	one, four []time.Duration
}

func newBenchTarget(b *testing.B, tp trace.TracerProvider) *benchTarget {
	t := &benchTarget{h: start(b, tp), finished: make(chan *nats.Msg, 16)}
	t.freight = t.h.freight(b)
	for _, n := range []int{1, 4} {
		name := fmt.Sprintf("steps-%d", n)
		t.h.put(b, v1.KindStage, name, &v1.Stage{
			TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
			Metadata: v1.ObjectMeta{Name: name, Namespace: project},
			Spec: v1.StageSpec{
				RequestedFreight:  []v1.FreightRequest{{Origin: v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "app"}, Sources: v1.FreightSources{Direct: true}}},
				PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: slices.Repeat([]v1.PromotionStep{{Uses: "noop"}}, n)}},
			},
		})
	}
	sub, err := t.h.bus.Conn.ChanSubscribe(bus.EventSubject(project, v1.TypePromotionSucceeded), t.finished)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sub.Unsubscribe() })
	return t
}

// promote promotes into stage through the API and returns the time until its succeeded
// event.
func (t *benchTarget) promote(b *testing.B, stage string) time.Duration {
	t.n++
	started := time.Now()
	res, err := t.h.client.Promote(b.Context(), &v1.PromoteCommand{Project: project, Stage: stage, Freight: t.freight, ID: fmt.Sprintf("bench-%d", t.n)})
	if err != nil {
		b.Fatal(err)
	}
	for {
		select {
		case m := <-t.finished:
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

// perStep is the p50 over iterations of the four-step promotion's extra time over the
// one-step one's, divided by the three extra steps: pairing each iteration's two promotions
// cancels most of a shared machine's drifting load.
func (t *benchTarget) perStep() time.Duration {
	d := make([]time.Duration, len(t.one))
	for i := range d {
		d[i] = (t.four[i] - t.one[i]) / 3
	}
	return p50(d)
}

func p50(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
