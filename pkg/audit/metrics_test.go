package audit_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
)

// TestFailuresShareTheRegistry: the services of dray up register the counter on one
// registry and count into the same series; a nil Failures counts nothing.
func TestFailuresShareTheRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := audit.NewFailures(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := audit.NewFailures(reg)
	if err != nil {
		t.Fatalf("a second service registering the counter: %v", err)
	}
	a.Inc(v1.AuditSourceAPI)
	b.Inc(v1.AuditSourceBus)
	b.Inc(v1.AuditSourceBus)
	var none *audit.Failures
	none.Inc(v1.AuditSourceBus)
	want := `# HELP dray_audit_append_failures_total Audit records the trail did not take, by source (api, bus).
# TYPE dray_audit_append_failures_total counter
dray_audit_append_failures_total{source="api"} 1
dray_audit_append_failures_total{source="bus"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "dray_audit_append_failures_total"); err != nil {
		t.Error(err)
	}
}
