package observability_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// attr returns the string value of key on s.
func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, a := range s.Attributes() {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

// promotionTrace returns the trace ID of the Promotion's step spans, failing unless they all
// share one.
func promotionTrace(t *testing.T, rec *tracetest.SpanRecorder, promotion string) string {
	t.Helper()
	var id trace.TraceID
	n := 0
	for _, s := range rec.Ended() {
		if strings.HasPrefix(s.Name(), "step ") && attr(s, "dray.promotion") == promotion {
			if n > 0 && s.SpanContext().TraceID() != id {
				t.Fatalf("step spans of %s are in two traces: %s and %s", promotion, id, s.SpanContext().TraceID())
			}
			id, n = s.SpanContext().TraceID(), n+1
		}
	}
	if n != 2 {
		t.Fatalf("%d step spans of %s recorded, want 2", n, promotion)
	}
	return id.String()
}

// checkTrace checks that the Promotion is one trace that starts at the API request and
// crosses the scheduler, the executor and the state service, and prints it.
func checkTrace(t *testing.T, rec *tracetest.SpanRecorder, promotion string) {
	id := promotionTrace(t, rec, promotion)
	spans := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	children := map[trace.SpanID][]sdktrace.ReadOnlySpan{}
	var roots []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() != id {
			continue
		}
		spans[s.SpanContext().SpanID()] = s
	}
	for _, s := range spans {
		if _, ok := spans[s.Parent().SpanID()]; ok {
			children[s.Parent().SpanID()] = append(children[s.Parent().SpanID()], s)
		} else {
			roots = append(roots, s)
		}
	}
	var tree strings.Builder
	var print func(s sdktrace.ReadOnlySpan, depth int)
	print = func(s sdktrace.ReadOnlySpan, depth int) {
		fmt.Fprintf(&tree, "%s%s  [%s]\n", strings.Repeat("  ", depth), s.Name(), s.EndTime().Sub(s.StartTime()))
		kids := children[s.SpanContext().SpanID()]
		slices.SortFunc(kids, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
		for _, k := range kids {
			print(k, depth+1)
		}
	}
	for _, r := range roots {
		print(r, 0)
	}
	t.Logf("trace %s of promotion %s:\n%s", id, promotion, tree.String())

	if len(roots) != 1 || roots[0].Name() != "POST /api/v1/projects/{project}/promotions" || roots[0].Parent().IsValid() {
		names := make([]string, len(roots))
		for i, r := range roots {
			names[i] = r.Name()
		}
		t.Fatalf("trace roots = %q, want the one API request POST /api/v1/projects/{project}/promotions", names)
	}
	ancestors := func(s sdktrace.ReadOnlySpan) []string {
		var out []string
		for p, ok := spans[s.Parent().SpanID()]; ok; p, ok = spans[p.Parent().SpanID()] {
			out = append(out, p.Name())
		}
		return out
	}
	var recorded int
	for _, s := range spans {
		switch {
		case strings.HasPrefix(s.Name(), "step "):
			for _, want := range []string{"handle executor-obs", "render and dispatch step", "handle scheduler-commands", "handle state"} {
				if !slices.Contains(ancestors(s), want) {
					t.Errorf("span %s (step %s) has no ancestor %q: %q", s.Name(), attr(s, "dray.step"), want, ancestors(s))
				}
			}
		case s.Name() == "handle state" && slices.Contains(ancestors(s), "handle executor-obs"):
			recorded++ // a step's result, recorded
		}
	}
	if recorded < 2 {
		t.Errorf("%d state spans record a step's result, want 2 (one per step)", recorded)
	}

	// The Warehouse's discovery is a trace of its own.
	found := false
	for _, s := range rec.Ended() {
		if s.Name() == "discover warehouse" && attr(s, "dray.warehouse") == "app" {
			found = true
			if s.SpanContext().TraceID().String() == id || s.Parent().IsValid() {
				t.Errorf("discovery span in trace %s with parent %s, want a trace of its own", s.SpanContext().TraceID(), s.Parent().SpanID())
			}
		}
	}
	if !found {
		t.Errorf("no span discover warehouse for Warehouse app")
	}
}
