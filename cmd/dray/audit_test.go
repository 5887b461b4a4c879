package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// TestAuditCLI: dray audit shows the API request and the warehouse's record of the command it
// published, and its filters select what they say.
func TestAuditCLI(t *testing.T) {
	server := up(t)
	dir := writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web})
	if out, err := dray(t, server, "apply", "-f", dir); err != nil {
		t.Fatalf("dray apply: %v\n%s", err, out)
	}
	if out, err := dray(t, server, "refresh", "warehouse", "web"); err != nil {
		t.Fatalf("dray refresh: %v\n%s", err, out)
	}
	// The warehouse records the command once discovery ran for it.
	var recs []v1.AuditRecord
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := dray(t, server, "audit", "-p", "shop", "-o", "json")
		if err != nil {
			t.Fatalf("dray audit: %v\n%s", err, out)
		}
		recs = nil
		if err := json.Unmarshal([]byte(out), &recs); err != nil {
			t.Fatalf("dray audit -o json printed %q: %v", out, err)
		}
		fromBus := false // the apply's record is in shop too (an apply is filed under its resources' project)
		for _, r := range recs {
			fromBus = fromBus || r.Source == v1.AuditSourceBus
		}
		if fromBus {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dray audit -p shop after 60s: %+v, want the refresh request and command", recs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	sources := map[string]v1.AuditRecord{}
	for _, r := range recs {
		if r.Verb != "apply" {
			sources[r.Source] = r
		}
	}
	api, bus := sources[v1.AuditSourceAPI], sources[v1.AuditSourceBus]
	if api.Verb != "update" || api.Resource != "warehouses" || api.Name != "web" || api.Status != 202 || api.Result != v1.AuditAllowed {
		t.Errorf("API record = %+v, want update warehouses/web answered 202", api)
	}
	if bus.Verb != "refresh" || bus.Name != "web" || bus.Actor != api.Actor || bus.Result != v1.AuditAllowed {
		t.Errorf("bus record = %+v, want the refresh of web accepted, by %s", bus, api.Actor)
	}

	out, err := dray(t, server, "audit", "-p", "shop", "--verb", "refresh")
	if err != nil || !strings.Contains(out, "warehouses/web") || !strings.Contains(out, "bus") || strings.Contains(out, "api ") {
		t.Errorf("dray audit --verb refresh = %q, %v; want the bus record alone", out, err)
	}
	for _, args := range [][]string{
		{"--actor", "token:nobody"},
		{"--resource", "stages"},
		{"--from", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
	} {
		out, err := dray(t, server, append([]string{"audit", "-p", "shop", "-o", "json"}, args...)...)
		if err != nil || strings.TrimSpace(out) != "null" && strings.TrimSpace(out) != "[]" {
			t.Errorf("dray audit %v = %q, %v; want no records", args, out, err)
		}
	}
	out, err = dray(t, server, "audit", "--all-projects", "--verb", "apply")
	if err != nil || !strings.Contains(out, "apply") || !strings.Contains(out, "200") {
		t.Errorf("dray audit --all-projects --verb apply = %q, %v; want the apply", out, err)
	}
	if _, err := dray(t, server, "audit", "-p", "shop", "--since", "1h", "--from", "2025-01-01T00:00:00Z"); err == nil {
		t.Error("dray audit --since with --from: no error")
	}
}
