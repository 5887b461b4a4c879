package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// quick is a Stage whose Promotions end at once (compose-output runs in the scheduler).
const quick = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
  namespace: shop
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
      - uses: compose-output
        as: done
        config: {tag: "${{ imageFrom('127.0.0.1:1/shop/web').Tag }}"}
`

// TestDelete: dray delete prints what it deleted as kubectl does; Freight a Stage holds is
// refused, naming the Stage; a deleted Stage's queued Promotion goes, its Freight forget it,
// and the Stage applied again starts with a fresh status; not found is an error but with
// --ignore-not-found; -f - deletes what a manifest names, and a Warehouse's Freight stays.
func TestDelete(t *testing.T) {
	server := up(t)
	c := adminClient(server)
	dir := writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web, "dev.yaml": quick, "freight.yaml": freight, "other.yaml": otherFreight})
	if out, err := dray(t, server, "apply", "-f", dir); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if out, err := dray(t, server, "promote", "--stage", "dev", "--freight", "quiet-lynx", "--wait"); err != nil {
		t.Fatalf("promote: %v\n%s", err, out)
	}
	out, err := dray(t, server, "delete", "freight", "quiet-lynx")
	if err == nil || !strings.Contains(err.Error(), `in use by stages ("dev")`) || strings.Contains(out, "deleted") {
		t.Errorf("dray delete freight quiet-lynx (held by dev) = %v\n%s\nwant it refused naming dev", err, out)
	}
	if out, err := dray(t, server, "approve", "loud-heron", "--stage", "dev"); err != nil {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	if out, err := dray(t, server, "pause", "dev"); err != nil {
		t.Fatalf("pause: %v\n%s", err, out)
	}
	if out, err := dray(t, server, "promote", "--stage", "dev", "--freight", "loud-heron"); err != nil {
		t.Fatalf("promote to a paused Stage: %v\n%s", err, out)
	}
	eventually(t, func() (string, bool) {
		s, err := c.Stage(t.Context(), "shop", "dev")
		return "waiting for the Promotion to queue", err == nil && len(s.Status.Queued) == 1
	})

	out, err = dray(t, server, "delete", "stage", "dev")
	if err != nil || out != "stage.kargo.akuity.io \"dev\" deleted\n" {
		t.Fatalf("dray delete stage dev = %v\n%q", err, out)
	}
	eventually(t, func() (string, bool) {
		ps, err := c.Promotions(t.Context(), "shop")
		lynx, ferr := c.GetFreight(t.Context(), "shop", "quiet-lynx")
		heron, herr := c.GetFreight(t.Context(), "shop", "loud-heron")
		return "waiting for dev's Promotions to go and its Freight to forget it",
			err == nil && len(ps) == 0 && ferr == nil && herr == nil &&
				len(lynx.Status.CurrentlyIn) == 0 && len(lynx.Status.VerifiedIn) == 0 && len(heron.Status.ApprovedFor) == 0
	})
	audit, err := c.Audit(t.Context(), "shop", url.Values{"verb": {"delete"}, "resource": {"stages"}})
	if err != nil || !slices.ContainsFunc(audit.Records, func(r v1.AuditRecord) bool {
		return r.Name == "dev" && r.Result == v1.AuditAllowed && r.Status == http.StatusNoContent
	}) {
		t.Errorf("audit trail of deletes = %+v, %v; want dev's deletion recorded", audit.Records, err)
	}
	if out, err := dray(t, server, "delete", "freight", "quiet-lynx"); err != nil || out != "freight.kargo.akuity.io \"quiet-lynx\" deleted\n" {
		t.Errorf("dray delete freight quiet-lynx (no longer held) = %v\n%q", err, out)
	}
	if _, err := c.GetFreight(t.Context(), "shop", "quiet-lynx"); err == nil {
		t.Error("quiet-lynx is still there after dray delete freight")
	}
	if out, err := dray(t, server, "delete", "stage", "dev"); err == nil || !strings.Contains(err.Error(), `stage.kargo.akuity.io "dev" not found in project "shop"`) {
		t.Errorf("dray delete stage dev (gone) = %v\n%s\nwant not found", err, out)
	}
	if out, err := dray(t, server, "delete", "stage", "dev", "--ignore-not-found"); err != nil || out != "" {
		t.Errorf("dray delete stage dev --ignore-not-found = %v\n%q\nwant nothing", err, out)
	}
	if out, err := dray(t, server, "delete", "stage"); err == nil || !strings.Contains(err.Error(), "dray delete KIND NAME") {
		t.Errorf("dray delete stage (no name) = %v\n%s", err, out)
	}
	if out, err := dray(t, server, "delete", "gadget", "x"); err == nil || !strings.Contains(err.Error(), `kind "gadget"`) {
		t.Errorf("dray delete gadget x = %v\n%s", err, out)
	}

	if out, err := dray(t, server, "apply", "-f", writeManifests(t, map[string]string{"dev.yaml": quick})); err != nil {
		t.Fatalf("apply dev again: %v\n%s", err, out)
	}
	s, err := c.Stage(t.Context(), "shop", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if s.Status.Paused != nil || len(s.Status.Queued) != 0 || len(s.Status.FreightHistory) != 0 || s.Status.LastPromotion != nil {
		t.Errorf("status of dev applied again = %+v, want a fresh one", s.Status)
	}

	out, err = drayIn(t, server, web+"---\n"+quick, "delete", "-f", "-")
	if err != nil || out != "warehouse.kargo.akuity.io \"web\" deleted\nstage.kargo.akuity.io \"dev\" deleted\n" {
		t.Errorf("dray delete -f - (web, dev) = %v\n%q", err, out)
	}
	if _, err := c.GetFreight(t.Context(), "shop", "loud-heron"); err != nil {
		t.Errorf("loud-heron after its Warehouse was deleted: %v, want it kept", err)
	}
	if _, err := c.Warehouse(t.Context(), "shop", "web"); err == nil {
		t.Error("Warehouse web is still there after dray delete -f")
	}

	// A viewer may not delete; the error names the verb and the role that may.
	viewer, err := c.CreateToken(t.Context(), "shop", &v1.CreateTokenRequest{Name: "watcher", Role: "viewer"})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "viewer.token")
	if err := os.WriteFile(file, []byte(viewer.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	root := newRoot()
	root.SetArgs([]string{"--server", server, "--token-file", file, "-p", "shop", "delete", "freight", "loud-heron"})
	root.SetOut(&buf)
	root.SetErr(&buf)
	if err := root.ExecuteContext(t.Context()); err == nil || !strings.Contains(err.Error(), "may not delete freights/loud-heron") {
		t.Errorf("dray delete freight as a viewer = %v\n%s\nwant it refused", err, buf.String())
	}
	if _, err := c.GetFreight(t.Context(), "shop", "loud-heron"); err != nil {
		t.Errorf("loud-heron after a viewer's delete: %v, want it kept", err)
	}
	if out, err := dray(t, server, "delete", "token", "watcher"); err != nil || out != "token \"watcher\" deleted\n" {
		t.Errorf("dray delete token watcher = %v\n%q", err, out)
	}
}
