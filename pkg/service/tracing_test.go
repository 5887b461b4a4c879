package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/drayhq/dray/pkg/service"
)

// TestTracingFollowsOTELEnvironment: tracing is off unless the standard variables ask for it,
// an unsupported exporter or protocol is refused naming the variable, and with an endpoint
// set the spans reach that OTLP collector.
func TestTracingFollowsOTELEnvironment(t *testing.T) {
	var posts atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" {
			_, _ = io.Copy(io.Discard, r.Body)
			posts.Add(1)
		}
	}))
	defer collector.Close()
	for _, tt := range []struct {
		name    string
		env     map[string]string
		on      bool
		wantErr string
	}{
		{name: "off by default"},
		{name: "none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}},
		{name: "disabled", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}},
		{name: "unsupported exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, wantErr: "OTEL_TRACES_EXPORTER"},
		{name: "unsupported protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, wantErr: "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{name: "endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}, on: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
				"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
				t.Setenv(k, tt.env[k])
			}
			tp, err := service.Tracing(t.Context(), "dray-test")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Tracing() = %v, want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tp != nil) != tt.on {
				t.Fatalf("Tracing() on = %t, want %t", tp != nil, tt.on)
			}
			if tp == nil {
				return
			}
			before := posts.Load()
			_, span := tp.Tracer("test").Start(t.Context(), "work")
			span.End()
			if err := tp.Shutdown(t.Context()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if posts.Load() == before {
				t.Errorf("no spans reached the collector at %s", collector.URL)
			}
		})
	}
}

// TestLogLinesCarryTraceIDs: a line logged with a context that carries a span names its
// trace and span.
func TestLogLinesCarryTraceIDs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(service.WithTraceIDs(slog.NewJSONHandler(&buf, nil))).With("promotion", "dev.x")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	log.InfoContext(trace.ContextWithSpanContext(context.Background(), sc), "step attempt done")
	log.Info("no context")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["trace_id"] != sc.TraceID().String() || first["span_id"] != sc.SpanID().String() || first["promotion"] != "dev.x" {
		t.Errorf("line with a span = %s, want trace_id %s, span_id %s and promotion", lines[0], sc.TraceID(), sc.SpanID())
	}
	if _, ok := second["trace_id"]; ok {
		t.Errorf("line without a span has a trace_id: %s", lines[1])
	}
}
