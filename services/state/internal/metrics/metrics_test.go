package metrics_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/metric"
	"github.com/drayhq/dray/services/state/internal/metrics"
)

// TestQueueFoldsPastTheLimit: each Stage's queue length is its own series up to
// metric.DefaultMaxSeries Stages; the Stages past it are summed under metric.Other.
func TestQueueFoldsPastTheLimit(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	queued := &v1.StageStatus{Queued: []v1.PromotionReference{{Name: "a"}, {Name: "b"}}}
	for i := range metric.DefaultMaxSeries + 3 {
		m.Queue("demo", fmt.Sprintf("s%d", i), queued)
	}
	m.Queue("demo", "s0", &v1.StageStatus{Queued: []v1.PromotionReference{{Name: "c"}}}) // replaces s0's

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	series := 0
	for _, f := range families {
		if f.GetName() != "dray_stage_queue_length" {
			continue
		}
		for _, s := range f.GetMetric() {
			series++
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["project"]+"/"+labels["stage"]] = s.GetGauge().GetValue()
		}
	}
	if series != metric.DefaultMaxSeries+1 {
		t.Errorf("dray_stage_queue_length has %d series, want %d and one for the rest", series, metric.DefaultMaxSeries)
	}
	for k, want := range map[string]float64{"demo/s0": 1, "demo/s1": 2, metric.Other + "/" + metric.Other: 6} {
		if got[k] != want {
			t.Errorf("dray_stage_queue_length{%s} = %v, want %v", k, got[k], want)
		}
	}
}
