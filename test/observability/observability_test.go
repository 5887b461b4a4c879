package observability_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/drayhq/dray/pkg/bus"
)

var update = flag.Bool("update", false, "rewrite deploy/metrics.txt, the families Dray exports")

// familiesFile lists every family the services export; deploy/promql checks the dashboard
// and alert rules against it.
const familiesFile = "../../deploy/metrics.txt"

// sample is one series that must have moved: a family, some of its labels, and the least
// value its matching series must sum to.
type sample struct {
	family  string
	labels  map[string]string
	atLeast float64
}

// TestOnePromotionObserved runs Dray in this process (every service, embedded NATS), lets a
// Warehouse discover an image and make Freight, promotes it through the API in two steps,
// sends a command that cannot be decoded and a webhook no receiver takes, and then checks
// what an on-call engineer would read: each service's metric families and the counters that
// those actions move, one trace for the Promotion across the services, and JSON log lines
// that name the promotion, stage, step and trace.
func TestOnePromotionObserved(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	h := start(t, tp)
	f := h.freight(t)
	p := h.promote(t, f)
	// A command no scheduler can decode is rejected and dead-lettered.
	if _, err := h.bus.JS.Publish(t.Context(), bus.CommandSubject(project, "promote"), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if code := h.post(t, "/webhooks/"+project+"/"+strings.Repeat("0", 64), []byte(`{}`)); code != http.StatusNotFound {
		t.Fatalf("webhook to no receiver = %d, want 404", code)
	}

	t.Run("every service exports its families", func(t *testing.T) {
		checkFamilies(t, h)
	})
	t.Run("dray up serves every service's families on one endpoint", func(t *testing.T) {
		checkScrape(t, h)
	})
	t.Run("one promotion is one trace", func(t *testing.T) {
		checkTrace(t, rec, p.Metadata.Name)
	})
	t.Run("log lines name the promotion, stage, step and trace", func(t *testing.T) {
		checkLogs(t, h, rec, p.Metadata.Name)
	})
}

// families says which families each service exports, and which series the test's actions
// must have moved.
var families = map[string]struct {
	exports []string
	moved   []sample
}{
	"gateway": {
		exports: []string{"dray_api_requests_total", "dray_api_request_duration_seconds", "dray_webhook_deliveries_total"},
		moved: []sample{
			{"dray_api_requests_total", map[string]string{"route": "POST /api/v1/projects/{project}/promotions", "code": "202"}, 1},
			{"dray_webhook_deliveries_total", map[string]string{"provider": "unknown", "result": "no_receiver"}, 1},
		},
	},
	"scheduler": {
		exports: []string{"dray_commands_total", "dray_messages_handled_total", "dray_messages_dead_total",
			"dray_messages_redelivered_total", "dray_messages_in_flight", "dray_message_handle_duration_seconds",
			"dray_nats_consumer_pending_messages", "dray_nats_consumer_ack_pending_messages", "dray_nats_consumer_redelivered_messages"},
		moved: []sample{
			{"dray_commands_total", map[string]string{"verb": "promote", "result": "accepted"}, 1},
			{"dray_commands_total", map[string]string{"verb": "promote", "result": "rejected"}, 1},
			{"dray_messages_dead_total", map[string]string{"consumer": "scheduler-commands", "reason": bus.ReasonUndecodable}, 1},
			{"dray_messages_handled_total", map[string]string{"consumer": "scheduler-promotions", "result": "acked"}, 2},
		},
	},
	"state": {
		exports: []string{"dray_promotions_started_total", "dray_promotions_finished_total", "dray_stage_queue_length",
			"dray_stage_queue_oldest_age_seconds", "dray_messages_handled_total", "dray_nats_consumer_pending_messages"},
		moved: []sample{
			{"dray_promotions_started_total", map[string]string{"project": project, "stage": stageName}, 1},
			{"dray_promotions_finished_total", map[string]string{"project": project, "stage": stageName, "phase": "Succeeded"}, 1},
			{"dray_messages_handled_total", map[string]string{"consumer": "state", "result": "acked"}, 3},
		},
	},
	"warehouse": {
		exports: []string{"dray_discovery_duration_seconds", "dray_discoveries_total", "dray_discovery_registry_requests_total",
			"dray_freight_created_total", "dray_messages_handled_total"},
		moved: []sample{
			{"dray_discoveries_total", map[string]string{"project": project, "warehouse": "app", "result": "succeeded"}, 1},
			{"dray_discovery_registry_requests_total", map[string]string{"project": project, "warehouse": "app"}, 1},
			{"dray_freight_created_total", map[string]string{"project": project, "warehouse": "app"}, 1},
		},
	},
	"executor-obs": {
		exports: []string{"dray_step_duration_seconds", "dray_step_attempts_total", "dray_steps_running",
			"dray_messages_in_flight", "dray_messages_redelivered_total", "dray_nats_consumer_pending_messages"},
		moved: []sample{
			{"dray_step_attempts_total", map[string]string{"executor": "obs", "uses": "noop", "status": "Succeeded"}, 2},
			{"dray_step_duration_seconds", map[string]string{"executor": "obs", "uses": "noop", "status": "Succeeded"}, 2},
			{"dray_messages_handled_total", map[string]string{"consumer": "executor-obs", "result": "acked"}, 2},
		},
	},
	"executor-git": {
		exports: []string{"dray_steps_running", "dray_messages_in_flight", "dray_messages_handled_total", "dray_nats_consumer_pending_messages"},
	},
	"executor-config":    {exports: []string{"dray_steps_running", "dray_messages_in_flight"}},
	"executor-http":      {exports: []string{"dray_steps_running", "dray_messages_in_flight"}},
	"executor-argocd":    {exports: []string{"dray_steps_running", "dray_messages_in_flight"}},
	"executor-container": {exports: []string{"dray_steps_running", "dray_messages_in_flight"}},
}

// checkFamilies checks each service's own registry, as its process would export it, until the
// actions' counts arrive (the services work asynchronously), and keeps deploy/metrics.txt.
func checkFamilies(t *testing.T, h *harness) {
	deadline := time.Now().Add(wait)
	all := map[string]bool{}
	for {
		var missing []string
		for svc, want := range families {
			reg, ok := h.in.Registries[svc]
			if !ok {
				t.Fatalf("no registry for service %s; have %v", svc, keys(h.in.Registries))
			}
			got, err := reg.Gather()
			if err != nil {
				t.Fatalf("gather %s: %v", svc, err)
			}
			byName := map[string]*dto.MetricFamily{}
			for _, mf := range got {
				byName[mf.GetName()] = mf
				all[mf.GetName()] = true
			}
			for _, name := range want.exports {
				if byName[name] == nil {
					missing = append(missing, fmt.Sprintf("%s: no family %s", svc, name))
				}
			}
			for _, s := range want.moved {
				if v := sum(byName[s.family], s.labels); v < s.atLeast {
					missing = append(missing, fmt.Sprintf("%s: %s%v = %g, want at least %g", svc, s.family, s.labels, v, s.atLeast))
				}
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s:\n%s", wait, strings.Join(missing, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	checkFamiliesFile(t, all)
}

// checkFamiliesFile compares the dray_ families seen with deploy/metrics.txt, or rewrites it
// with -update.
func checkFamiliesFile(t *testing.T, all map[string]bool) {
	var names []string
	for n := range all {
		if strings.HasPrefix(n, "dray_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	text := "# The metric families Dray's services export (docs/observability.md). Written by\n" +
		"# go test ./test/observability -update; deploy/promql checks the dashboard and alerts against it.\n" +
		strings.Join(names, "\n") + "\n"
	if *update {
		if err := os.WriteFile(familiesFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(familiesFile)
	if err != nil {
		t.Fatalf("%v (run go test ./test/observability -update)", err)
	}
	if string(old) != text {
		t.Errorf("%s is not current; run go test ./test/observability -update. The services export:\n%s", familiesFile, text)
	}
}

// checkScrape reads the gateway's /metrics with the admin token, as Prometheus would scrape
// dray up, and finds every service's families there.
func checkScrape(t *testing.T, h *harness) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, h.in.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.in.AdminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %s", res.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	got, err := parser.TextToMetricFamilies(bufio.NewReader(res.Body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	for svc, want := range families {
		for _, name := range want.exports {
			if got[name] == nil {
				t.Errorf("GET /metrics has no %s (of %s)", name, svc)
			}
		}
		for _, s := range want.moved {
			if v := sum(got[s.family], s.labels); v < s.atLeast {
				t.Errorf("GET /metrics: %s%v = %g, want at least %g", s.family, s.labels, v, s.atLeast)
			}
		}
	}
	if got["go_goroutines"] == nil {
		t.Errorf("GET /metrics has no go_goroutines: the process collectors are missing")
	}
}

// sum adds the values of mf's series whose labels include labels: counters, gauges, and
// histograms' counts.
func sum(mf *dto.MetricFamily, labels map[string]string) float64 {
	if mf == nil {
		return 0
	}
	total := 0.0
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range labels {
			if have[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// logLine is the part of a JSON log line the test reads.
type logLine struct {
	Msg       string `json:"msg"`
	Service   string `json:"service"`
	Promotion string `json:"promotion"`
	Stage     string `json:"stage"`
	Step      string `json:"step"`
	TraceID   string `json:"trace_id"`
}

// checkLogs finds the executor's line for each step of the Promotion: one JSON object per
// line, naming the promotion, stage, step and the Promotion's trace.
func checkLogs(t *testing.T, h *harness, rec *tracetest.SpanRecorder, promotion string) {
	traceID := promotionTrace(t, rec, promotion)
	steps := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(h.logs.String()), "\n") {
		var l logLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line is not one JSON object: %v\n%s", err, line)
		}
		if l.Msg != "step attempt done" || l.Promotion != promotion {
			continue
		}
		if l.Stage != stageName || l.TraceID != traceID {
			t.Errorf("step line: stage %q, trace_id %q; want %q, %q\n%s", l.Stage, l.TraceID, stageName, traceID, line)
		}
		steps[l.Step] = true
	}
	if !steps["first"] || !steps["second"] {
		t.Errorf("logged steps of %s = %v, want first and second", promotion, keys(steps))
	}
}
