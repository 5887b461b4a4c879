package metric_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drayhq/dray/pkg/metric"
)

// TestLimiterFoldsNamesPastTheBound: the first label sets pass, later new ones become
// _other, and a set seen before still passes.
func TestLimiterFoldsNamesPastTheBound(t *testing.T) {
	l := metric.NewLimiter(2)
	for _, tt := range []struct{ in, want []string }{
		{[]string{"shop", "dev"}, []string{"shop", "dev"}},
		{[]string{"shop", "prod"}, []string{"shop", "prod"}},
		{[]string{"shop", "qa"}, []string{metric.Other, metric.Other}},
		{[]string{"shop", "dev"}, []string{"shop", "dev"}},
	} {
		if diff := cmp.Diff(tt.want, l.Values(tt.in...)); diff != "" {
			t.Errorf("Values(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestRegisterSharesOneFamily: registering the same family twice on a registry gives the
// first collector back, so two consumers in one process count into one family.
func TestRegisterSharesOneFamily(t *testing.T) {
	reg := prometheus.NewRegistry()
	newC := func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dray_test_total", Help: "t"}, []string{"a"})
	}
	first, err := metric.Register(reg, newC())
	if err != nil {
		t.Fatal(err)
	}
	second, err := metric.Register(reg, newC())
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("Register twice returned two collectors, want the first again")
	}
	if _, err := metric.Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "dray_test_total", Help: "t"})); err == nil {
		t.Errorf("Register of another kind under the same name = nil, want an error")
	}
}
