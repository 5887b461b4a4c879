package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/store"
)

// TestReject (docs/resources.md#freight-rejection): rejecting a Freight needs an identity
// (401) with the approve verb on Freight (403 for a developer); an admin's rejection, by
// alias, publishes the reject command with the Freight's name and the admin as actor,
// whatever the body says; an unknown Freight or Stage is 404 naming it.
func TestReject(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	dev := newToken(t, a, v1.APIToken{Name: "dev", Project: "demo", Role: "developer"})
	u := base + "/api/v1/projects/demo/freight/first/reject"
	body := `{"stage":"prod","reason":"CVE-2026-4711","actor":"email:someone-else@example.com"}`
	if code, e := sendAs(t, "", http.MethodPost, u, body); code != http.StatusUnauthorized {
		t.Errorf("anonymous rejects: %d %s, want 401", code, e.Error)
	}
	if code, e := sendAs(t, dev, http.MethodPost, u, body); code != http.StatusForbidden || !strings.Contains(e.Error, "approve") {
		t.Errorf("developer rejects: %d %q, want 403 naming the approve verb", code, e.Error)
	}
	if code, e := send(t, http.MethodPost, u, body); code != http.StatusAccepted {
		t.Fatalf("admin rejects: %d %s, want 202", code, e.Error)
	}
	f, err := store.Freight(t.Context(), a.Bus, "demo", "first")
	if err != nil {
		t.Fatal(err)
	}
	cmd := lastReject(t, a)
	if cmd.Freight != f.Metadata.Name || cmd.Stage != "prod" || cmd.Reason != "CVE-2026-4711" || cmd.Actor != "token:test-admin" || cmd.Undo {
		t.Errorf("reject command = %+v, want %s (by its name, not its alias) for prod by token:test-admin (the body's actor overwritten)", cmd, f.Metadata.Name)
	}
	if code, e := send(t, http.MethodPost, u, `{"undo":true}`); code != http.StatusAccepted {
		t.Fatalf("admin takes the rejection back: %d %s, want 202", code, e.Error)
	}
	if cmd := lastReject(t, a); !cmd.Undo || cmd.Stage != "" {
		t.Errorf("undo command = %+v, want undo for every Stage", cmd)
	}
	for _, tt := range []struct {
		url, body string
		code      int
		names     string
	}{
		{base + "/api/v1/projects/demo/freight/nope/reject", `{}`, http.StatusNotFound, `freight "nope"`},
		{u, `{"stage":"nope"}`, http.StatusNotFound, `stage "nope"`},
		{u, `{"stage":"a b"}`, http.StatusBadRequest, "stage"},
	} {
		if code, e := send(t, http.MethodPost, tt.url, tt.body); code != tt.code || !strings.Contains(e.Error, tt.names) {
			t.Errorf("POST %s %s: %d %q, want %d naming %s", tt.url, tt.body, code, e.Error, tt.code, tt.names)
		}
	}
}

// lastReject reads the last reject command of project demo.
func lastReject(t *testing.T, a *api) v1.RejectCommand {
	t.Helper()
	s, err := a.Bus.JS.Stream(t.Context(), bus.StreamCommands)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(t.Context(), bus.CommandSubject("demo", "reject"))
	if err != nil {
		t.Fatalf("read last reject command: %v", err)
	}
	var cmd v1.RejectCommand
	if err := json.Unmarshal(m.Data, &cmd); err != nil {
		t.Fatal(err)
	}
	return cmd
}
