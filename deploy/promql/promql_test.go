package promql_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

const (
	metricsFile   = "../metrics.txt"
	alertsFile    = "../prometheus/alerts.yaml"
	dashboardFile = "../grafana/dray.json"
)

// exported reads deploy/metrics.txt: the families Dray's services export, kept current by
// test/observability, which scrapes every service.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(metricsFile)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for line := range strings.SplitSeq(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no families", metricsFile)
	}
	return out
}

// grafanaVars are the Grafana variables a dashboard query may use, with values that make it
// PromQL.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")

// unknownMetrics parses expr with Prometheus's parser and returns the metric names it selects
// that are not families in known (a histogram's _bucket, _sum and _count count as its family).
func unknownMetrics(expr string, known map[string]bool) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(grafanaVars.Replace(expr))
	if err != nil {
		return nil, err
	}
	var unknown []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if name == "" {
			unknown = append(unknown, vs.String()+" (no metric name)")
			return nil
		}
		if !known[name] && !known[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")] {
			unknown = append(unknown, name)
		}
		return nil
	})
	return unknown, nil
}

// TestUnknownMetricsFindsWhatIsMissing: the check itself tells a known family from a
// misspelt one and a histogram's series from its family, and refuses what does not parse.
func TestUnknownMetricsFindsWhatIsMissing(t *testing.T) {
	known := map[string]bool{"dray_step_duration_seconds": true, "dray_commands_total": true}
	for _, tt := range []struct {
		expr    string
		unknown []string
		bad     bool
	}{
		{expr: `histogram_quantile(0.9, sum by (le) (rate(dray_step_duration_seconds_bucket[$__rate_interval])))`},
		{expr: `sum(rate(dray_commands_total{verb="promote"}[5m])) / sum(rate(dray_command_total[5m]))`, unknown: []string{"dray_command_total"}},
		{expr: `sum(rate(dray_commands_total[5m]`, bad: true},
	} {
		got, err := unknownMetrics(tt.expr, known)
		if (err != nil) != tt.bad {
			t.Errorf("unknownMetrics(%q) error = %v, want error %t", tt.expr, err, tt.bad)
		}
		if !slices.Equal(got, tt.unknown) {
			t.Errorf("unknownMetrics(%q) = %q, want %q", tt.expr, got, tt.unknown)
		}
	}
}

// TestAlertRules: the rule file passes Prometheus's own rule validation (as promtool check
// rules does), has the alerts the runbook names, and every expression names exported families.
func TestAlertRules(t *testing.T) {
	known := exported(t)
	groups, errs := rulefmt.ParseFile(alertsFile, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Errorf("rule file: %v", err)
	}
	if groups == nil {
		t.FailNow()
	}
	var alerts []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			name := r.Alert + r.Record
			alerts = append(alerts, name)
			unknown, err := unknownMetrics(r.Expr, known)
			if err != nil {
				t.Errorf("%s: expression does not parse: %v", name, err)
			}
			if len(unknown) > 0 {
				t.Errorf("%s names metrics Dray does not export: %q", name, unknown)
			}
		}
	}
	for _, want := range []string{"DrayPromotionFailureRateHigh", "DrayStageQueueStuck", "DrayDiscoveryFailing", "DrayConsumerLagGrowing"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("alert %s missing; have %q", want, alerts)
		}
	}
}

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

var labelValues = regexp.MustCompile(`^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)

// TestDashboard: every panel query and variable of the Grafana dashboard parses and names
// exported families.
func TestDashboard(t *testing.T) {
	known := exported(t)
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	queries := 0
	for _, p := range d.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			queries++
			unknown, err := unknownMetrics(tg.Expr, known)
			if err != nil {
				t.Errorf("panel %q: %q does not parse: %v", p.Title, tg.Expr, err)
			}
			if len(unknown) > 0 {
				t.Errorf("panel %q names metrics Dray does not export: %q", p.Title, unknown)
			}
		}
	}
	if queries == 0 {
		t.Fatalf("%s has no queries", dashboardFile)
	}
	for _, v := range d.Templating.List {
		q, ok := v.Query.(map[string]any)
		if !ok {
			continue // e.g. the data source variable
		}
		m := labelValues.FindStringSubmatch(q["query"].(string))
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(<metric>, <label>)", v.Name, q["query"])
		} else if !known[m[1]] {
			t.Errorf("variable %s names %s, which Dray does not export", v.Name, m[1])
		}
	}
}
