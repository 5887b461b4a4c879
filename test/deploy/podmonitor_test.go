package deploy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/drayhq/dray/pkg/service"
)

// TestChartPodMonitor: metrics.podMonitor.enabled renders a Prometheus Operator PodMonitor
// (decoded strictly with the operator's own type) that selects the pods of every Dray service
// and not NATS's, scrapes the port the probes use, which is the container port the services
// serve metrics on (DRAY_HTTP_ADDR), at the path the services' handler serves Prometheus's
// text on; its labels and interval are the values'. Off by default.
func TestChartPodMonitor(t *testing.T) {
	if r := render(t, "rel", valueSets["defaults"]); len(r.podMonitors) != 0 {
		t.Errorf("defaults render PodMonitors %v, want none (metrics.podMonitor.enabled is false)", sortedKeys(r.podMonitors))
	}
	r := render(t, "rel", valueSets["non-default"])
	pm, ok := r.podMonitors["rel"]
	if !ok {
		t.Fatalf("metrics.podMonitor.enabled: no PodMonitor rel among %v", sortedKeys(r.podMonitors))
	}
	if pm.Labels["release"] != "prom" || pm.Labels["app.kubernetes.io/instance"] != "rel" {
		t.Errorf("PodMonitor labels = %v, want the chart's and release: prom", pm.Labels)
	}
	sel, err := metav1.LabelSelectorAsSelector(&pm.Spec.Selector)
	if err != nil {
		t.Fatalf("PodMonitor selector: %v", err)
	}
	if len(pm.Spec.PodMetricsEndpoints) != 1 {
		t.Fatalf("PodMonitor endpoints = %+v, want one", pm.Spec.PodMetricsEndpoints)
	}
	ep := pm.Spec.PodMetricsEndpoints[0]
	if ep.Port == nil {
		t.Fatal("PodMonitor endpoint names no port")
	}
	if ep.Interval != "30s" {
		t.Errorf("PodMonitor interval = %q, want the values' 30s", ep.Interval)
	}
	if !slices.Contains(pm.Spec.PodTargetLabels, "app.kubernetes.io/component") {
		t.Errorf("PodMonitor podTargetLabels = %v, want the component, so series say which service", pm.Spec.PodTargetLabels)
	}
	var picked []string
	for name, d := range r.deployments {
		if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			continue
		}
		picked = append(picked, name)
		port, ok := containerPort(d.Spec.Template, *ep.Port)
		if !ok {
			t.Errorf("%s: the PodMonitor scrapes port %q, which its pods do not declare", name, *ep.Port)
			continue
		}
		if port != 9100 {
			t.Errorf("%s: the PodMonitor's port %q is %d, want the health port 9100", name, *ep.Port, port)
		}
		if probe := d.Spec.Template.Spec.Containers[0].LivenessProbe; probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Port.String() != *ep.Port {
			t.Errorf("%s: the liveness probe and the PodMonitor reach different ports", name)
		}
		for _, e := range d.Spec.Template.Spec.Containers[0].Env {
			if e.Name == "DRAY_HTTP_ADDR" && e.Value != ":"+strconv.Itoa(int(port)) {
				t.Errorf("%s: DRAY_HTTP_ADDR = %q, but the PodMonitor scrapes port %d", name, e.Value, port)
			}
		}
	}
	for _, svc := range services {
		if _, deployed := r.deployments["rel-"+svc]; deployed && !slices.Contains(picked, "rel-"+svc) {
			t.Errorf("the PodMonitor does not select %s's pods (selected %v)", svc, picked)
		}
	}
	for name, s := range r.statefulSets {
		if sel.Matches(labels.Set(s.Spec.Template.Labels)) {
			t.Errorf("the PodMonitor selects %s, whose monitoring port serves no Prometheus metrics", name)
		}
	}

	// The path is where every service's health server serves Prometheus's text format.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	rec := httptest.NewRecorder()
	service.HealthHandler(reg, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ep.Path, nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || !strings.Contains(string(body), "# TYPE go_goroutines gauge") {
		t.Errorf("GET %s on a service's health server = %d\n%.200s\nwant Prometheus's text", ep.Path, rec.Code, body)
	}
}
