package gateway

import (
	"encoding/json"
	"fmt"
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
		"properties": map[string]any{"ticket": map[string]any{"type": "string"}, "replicas": map[string]any{"type": "integer"}}}}
	started := time.Now().UTC()
	p := v1.Promotion{
		Metadata: v1.ObjectMeta{Name: "prod.x.f00d", Namespace: "demo", Annotations: map[string]string{v1.AnnotationCreateActor: "token:demo/lead"}},
		Spec: v1.PromotionSpec{Stage: "prod", Freight: "f00d", Steps: []v1.PromotionStep{
			{Uses: "wait-for-approval", As: "sign-off", Config: approval},
			{Uses: "get-user-input", As: "ticket", Config: form}}},
		Status: v1.PromotionStatus{Phase: v1.PhaseRunning, StepExecutionMetadata: []v1.StepExecutionMetadata{
			{Alias: "sign-off", Uses: "wait-for-approval", Attempts: 1, Status: v1.StepRunning, StartedAt: &started, Config: approval}}},
	}
	store := func() {
		t.Helper()
		data, err := json.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Bus.Promotions.Put(t.Context(), bus.Key("demo", p.Metadata.Name), data); err != nil {
			t.Fatal(err)
		}
	}
	store()
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
	cmd := lastInput(t, a)
	if cmd.Actor != "token:demo/dev" || len(cmd.Roles) != 1 || cmd.Roles[0] != "developer" || !cmd.Approve ||
		cmd.Step != "sign-off" || cmd.Promotion != "prod.x.f00d" || cmd.Comment != "looks good" {
		t.Errorf("input command = %+v, want an approval of sign-off by token:demo/dev acting as developer (the body's actor ignored)", cmd)
	}
}

// TestStepInputPage: the Promotion's page shows what a waiting human step waits for, with an
// Approve form, or a form with a field per property of the step's schema; the form's text
// fields are sent typed as the schema says.
func TestStepInputPage(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	approval := map[string]any{"approvers": map[string]any{"roles": []any{"developer"}}, "message": "Read the change log."}
	form := map[string]any{"schema": map[string]any{"type": "object", "required": []any{"ticket"},
		"properties": map[string]any{"ticket": map[string]any{"type": "string"}, "replicas": map[string]any{"type": "integer"}}}}
	started := time.Now().UTC()
	p := v1.Promotion{
		Metadata: v1.ObjectMeta{Name: "prod.x.f00d", Namespace: "demo"},
		Spec: v1.PromotionSpec{Stage: "prod", Freight: "f00d", Steps: []v1.PromotionStep{
			{Uses: "wait-for-approval", As: "sign-off", Config: approval}, {Uses: "get-user-input", As: "ticket", Config: form}}},
		Status: v1.PromotionStatus{Phase: v1.PhaseRunning, StepExecutionMetadata: []v1.StepExecutionMetadata{
			{Alias: "sign-off", Uses: "wait-for-approval", Attempts: 1, Status: v1.StepRunning, StartedAt: &started, Config: approval,
				Message: "waiting for 1 more approval of developer"}}},
	}
	put := func() {
		t.Helper()
		data, err := json.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Bus.Promotions.Put(t.Context(), bus.Key("demo", p.Metadata.Name), data); err != nil {
			t.Fatal(err)
		}
	}
	put()
	dev := newToken(t, a, v1.APIToken{Name: "dev", Project: "demo", Role: "developer"})
	c := webClient(t)
	page := base + "/projects/demo/promotions/prod.x.f00d"
	_, html := get(t, c, dev, page)
	for _, want := range []string{"Waiting for people", "waiting for 1 more approval of developer", "Read the change log.",
		`/api/v1/projects/demo/promotions/prod.x.f00d/approve`, `name="step" value="sign-off"`, ">Approve</button>"} {
		if !strings.Contains(html, want) {
			t.Errorf("page of a Promotion waiting for approval lacks %q", want)
		}
	}
	done := started.Add(time.Second)
	p.Status.CurrentStep = 1
	p.Status.StepExecutionMetadata[0].Status, p.Status.StepExecutionMetadata[0].FinishedAt = v1.StepSucceeded, &done
	p.Status.StepExecutionMetadata = append(p.Status.StepExecutionMetadata, v1.StepExecutionMetadata{
		Alias: "ticket", Uses: "get-user-input", Attempts: 1, Status: v1.StepRunning, StartedAt: &done, Config: form, Message: "waiting for input"})
	put()
	_, html = get(t, c, dev, page)
	for _, want := range []string{`/api/v1/projects/demo/promotions/prod.x.f00d/answer`, `name="form.ticket" required`,
		`name="form.replicas" type="number" step="1"`, "Send answers"} {
		if !strings.Contains(html, want) {
			t.Errorf("page of a Promotion waiting for input lacks %q", want)
		}
	}
	if strings.Contains(html, ">Approve</button>") {
		t.Error("page of a Promotion waiting for input offers Approve")
	}
	u := base + "/api/v1/projects/demo/promotions/prod.x.f00d/answer"
	if code, e := sendAs(t, dev, http.MethodPost, u, `{"step":"ticket","form":{"ticket":"CHG-1","replicas":"many"}}`); code != http.StatusUnprocessableEntity || !strings.Contains(e.Error, "replicas") {
		t.Errorf("answer with replicas=many: %d %q, want 422 naming replicas", code, e.Error)
	}
	if code, e := sendAs(t, dev, http.MethodPost, u, `{"step":"ticket","form":{"ticket":"CHG-1","replicas":"2"}}`); code != http.StatusAccepted {
		t.Fatalf("answer from the form: %d %s, want 202", code, e.Error)
	}
	if cmd := lastInput(t, a); cmd.Answers["ticket"] != "CHG-1" || cmd.Answers["replicas"] != float64(2) || cmd.Approve || cmd.Actor != "token:demo/dev" {
		t.Errorf("input command = %+v, want the answers typed (replicas the number 2) by token:demo/dev", cmd)
	}
}

// lastInput reads the last input command of project demo.
func lastInput(t *testing.T, a *api) v1.StepInputCommand {
	t.Helper()
	s, err := a.Bus.JS.Stream(t.Context(), bus.StreamCommands)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(t.Context(), bus.CommandSubject("demo", "input"))
	if err != nil {
		t.Fatalf("read the last input command: %v", err)
	}
	var cmd v1.StepInputCommand
	if err := json.Unmarshal(m.Data, &cmd); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestApplyChecksApprovers: dray apply refuses a wait-for-approval step whose approver role the
// project does not have, naming the step and the field; the role declared in the same batch,
// or a built-in one, is accepted.
func TestApplyChecksApprovers(t *testing.T) {
	base, _, _ := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	approval := "      - uses: wait-for-approval\n        as: sign-off\n        config: {approvers: {roles: [release-managers]}}\n"
	stage := fmt.Sprintf(stageDoc, approval)
	code, e := send(t, http.MethodPost, base+"/api/v1/resources", stage)
	if code != http.StatusUnprocessableEntity || !strings.Contains(e.Error, `step "sign-off": role "release-managers" does not exist in the project`) ||
		len(e.Problems) == 0 || e.Problems[0].Path != "spec.promotionTemplate.spec.steps[0].config.approvers.roles[0]" {
		t.Errorf("apply with an unknown approver role: %d %q %+v, want 422 naming the step and field", code, e.Error, e.Problems)
	}
	account := "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: release-managers, namespace: demo}\n---\n"
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", account+stage); code != http.StatusOK {
		t.Errorf("apply with the role declared beside it: %d %s, want 200", code, e.Error)
	}
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", strings.Replace(stage, "release-managers", "developer", 1)); code != http.StatusOK {
		t.Errorf("apply with a built-in approver role: %d %s, want 200", code, e.Error)
	}
}
