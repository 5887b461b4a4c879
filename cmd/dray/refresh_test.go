package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/gittest"
)

const warehouseManifest = `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: web
  namespace: shop
spec:
  interval: 1h
  subscriptions:
  - name: cfg
    git: {repoURL: REPO, branch: main}
`

// waitWarehouse polls the gateway until the Warehouse's status satisfies ok; the deadline
// bounds a hang and is no timing assertion.
func waitWarehouse(t *testing.T, server, what string, ok func(*v1.Warehouse) bool) *v1.Warehouse {
	t.Helper()
	c := adminClient(server)
	deadline := time.Now().Add(60 * time.Second)
	for {
		wh, err := c.Warehouse(t.Context(), "shop", "web")
		if err == nil && ok(wh) {
			return wh
		}
		if time.Now().After(deadline) {
			t.Fatalf("warehouse web never had %s: %+v, %v", what, wh, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCLIRefreshWarehouse: a Warehouse applied with dray apply makes Freight; after a push,
// dray refresh warehouse makes the next at once, and dray get warehouse shows it.
func TestCLIRefreshWarehouse(t *testing.T) {
	server := up(t)
	git := gittest.NewServer(t)
	url := git.Repo(t, "cfg", map[string]string{"app.yaml": "v: 1\n"})
	dir := writeManifests(t, map[string]string{"project.yaml": project, "warehouse.yaml": strings.Replace(warehouseManifest, "REPO", url, 1)})
	if out, err := dray(t, server, "apply", "-f", dir); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	first := waitWarehouse(t, server, "a Freight", func(wh *v1.Warehouse) bool { return wh.Status.LastFreightID != "" })

	head := git.Commit(t, "cfg", "main", "bump", map[string]string{"app.yaml": "v: 2\n"})
	out, err := dray(t, server, "refresh", "warehouse", "web")
	if err != nil {
		t.Fatalf("dray refresh warehouse web: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`refresh of warehouse web requested \(id (\S+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("dray refresh warehouse web printed %q", out)
	}
	wh := waitWarehouse(t, server, "lastHandledRefresh "+m[1], func(wh *v1.Warehouse) bool { return wh.Status.LastHandledRefresh == m[1] })
	if wh.Status.LastFreightID == first.Status.LastFreightID {
		t.Errorf("after a push and a refresh, lastFreightID is still %s", wh.Status.LastFreightID)
	}

	out, err = dray(t, server, "get", "warehouse", "web", "-o", "yaml")
	if err != nil {
		t.Fatalf("dray get warehouse web -o yaml: %v\n%s", err, out)
	}
	for _, want := range []string{"discoveredArtifacts:", "id: " + head, "subscriptionName: cfg", "lastHandledRefresh: " + m[1], "type: Ready", "reason: Created"} {
		if !strings.Contains(out, want) {
			t.Errorf("dray get warehouse web -o yaml lacks %q:\n%s", want, out)
		}
	}
	if out, err := dray(t, server, "get", "warehouses"); err != nil || !regexp.MustCompile(`web\s+True\s+`+wh.Status.LastFreightID[:12]).MatchString(out) {
		t.Errorf("dray get warehouses = %q, %v; want web True %s", out, err, wh.Status.LastFreightID[:12])
	}
	if out, err := dray(t, server, "get", "freight"); err != nil || strings.Count(out, "web") != 2 {
		t.Errorf("dray get freight = %q, %v; want two Freight from web", out, err)
	}
	if out, err := dray(t, server, "refresh", "warehouse", "nope"); err == nil || !strings.Contains(err.Error(), `warehouse "nope" not found`) {
		t.Errorf("dray refresh warehouse nope = %q, %v; want a not-found error", out, err)
	}
}
