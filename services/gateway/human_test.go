package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// TestStepInput (docs/steps/wait-for-approval.md): approving a waiting step needs an identity
// (401) with promote on the Promotion's Stage (403 for a viewer); a developer whom the
// approver rule names is accepted, and the command carries the identity's actor and roles
// whatever the body says; an admin outside the rule, the requester when excluded, and answers
// that do not fit the form are 422 naming why; a step that does not wait is 409.
func TestStepInput(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	approval := map[string]any{"approvers": map[string]any{"roles": []any{"developer"}}, "excludeRequester": true}
	form := map[string]any{"schema": map[string]any{"type": "object", "required": []any{"ticket"},
		"properties": map[string]any{"ticket": map[string]any{"type": "string"}}}}
	started := time.Now().UTC()
	p := v1.Promotion{
		Metadata: v1.ObjectMeta{Name: "prod.x.f00d", Namespace: "demo", Annotations: map[string]string{v1.AnnotationCreateActor: "token:demo/lead"}},
		Spec: v1.PromotionSpec{Stage: "prod", Freight: "f00d", Steps: []v1.PromotionStep{
			{Uses: "wait-for-approval", As: "sign-off", Config: approval},
			{Uses: "get-user-input", As: "ticket", Config: form}}},
		Status: v1.PromotionStatus{Phase: v1.PhaseRunning, StepExecutionMetadata: []v1.StepExecutionMetadata{
			{Alias: "sign-off", Uses: "wait-for-approval", Attempts: 1, Status: v1.StepRunning, StartedAt: &started, Config: approval}}},
	}
	data, err := json.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bus.Promotions.Put(t.Context(), bus.Key("demo", p.Metadata.Name), data); err != nil {
		t.Fatal(err)
	}
	dev := newToken(t, a, v1.APIToken{Name: "dev", Project: "demo", Role: "developer"})
	lead := newToken(t, a, v1.APIToken{Name: "lead", Project: "demo", Role: "developer"})
	viewer := newToken(t, a, v1.APIToken{Name: "viewer", Project: "demo", Role: "viewer"})
	admin := newToken(t, a, v1.APIToken{Name: "boss", Project: "demo", Role: "admin"})
	u := base + "/api/v1/projects/demo/promotions/prod.x.f00d/approve"
	body := `{"step":"sign-off","comment":"looks good","actor":"email:someone-else@example.com"}`
	if code, e := sendAs(t, "", http.MethodPost, u, body); code != http.StatusUnauthorized {
		t.Errorf("anonymous approves: %d %s, want 401", code, e.Error)
	}
	if code, e := sendAs(t, viewer, http.MethodPost, u, body); code != http.StatusForbidden || !strings.Contains(e.Error, "promote") {
		t.Errorf("viewer approves: %d %q, want 403 naming the promote verb", code, e.Error)
	}
	for _, tt := range []struct {
		who, url, body, want string
		code                 int
	}{
		{admin, u, body, "not an approver", http.StatusUnprocessableEntity},
		{lead, u, body, "asked for this Promotion", http.StatusUnprocessableEntity},
		{dev, strings.Replace(u, "/approve", "/answer", 1), `{"step":"sign-off","answers":{"ticket":"T-1"}}`, "takes approvals", http.StatusUnprocessableEntity},
		{dev, u, `{"step":"ticket"}`, "not waiting", http.StatusConflict},
		{dev, u, `{"step":"a b"}`, "step: ", http.StatusBadRequest},
		{dev, strings.Replace(u, "prod.x.f00d", "prod.x.nope", 1), body, "prod.x.nope", http.StatusNotFound},
	} {
		if code, e := sendAs(t, tt.who, http.MethodPost, tt.url, tt.body); code != tt.code || !strings.Contains(e.Error, tt.want) {
			t.Errorf("POST %s: %d %q, want %d saying %q", tt.url, code, e.Error, tt.code, tt.want)
		}
	}
	if code, e := sendAs(t, dev, http.MethodPost, u, body); code != http.StatusAccepted {
		t.Fatalf("developer approves: %d %s, want 202", code, e.Error)
	}
	s, err := a.Bus.JS.Stream(t.Context(), bus.StreamCommands)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(t.Context(), bus.CommandSubject("demo", "input"))
	if err != nil {
		t.Fatalf("read the input command: %v", err)
	}
	var cmd v1.StepInputCommand
	if err := json.Unmarshal(m.Data, &cmd); err != nil {
		t.Fatal(err)
	}
	if cmd.Actor != "token:demo/dev" || len(cmd.Roles) != 1 || cmd.Roles[0] != "developer" || !cmd.Approve ||
		cmd.Step != "sign-off" || cmd.Promotion != "prod.x.f00d" || cmd.Comment != "looks good" {
		t.Errorf("input command = %+v, want an approval of sign-off by token:demo/dev acting as developer (the body's actor ignored)", cmd)
	}
}
