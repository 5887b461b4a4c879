package promotion_test

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/promotion"
)

// TestHumanApproval: N different approvers release the step; the same person twice counts
// once, the requester does not count when excluded, and the timeout fails the step.
func TestHumanApproval(t *testing.T) {
	start := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	approve := func(actors ...string) []v1.StepInput {
		var out []v1.StepInput
		for _, a := range actors {
			out = append(out, v1.StepInput{Actor: a, Approved: true})
		}
		return out
	}
	two := promotion.ApprovalConfig{Approvals: 2, Approvers: promotion.Approvers{Roles: []string{"release-managers"}}, Timeout: "1h"}
	excl := two
	excl.ExcludeRequester = true
	tests := []struct {
		name       string
		cfg        promotion.ApprovalConfig
		inputs     []v1.StepInput
		at         time.Duration
		wantStatus string
		wantMsg    string
	}{
		{"none yet", two, nil, time.Minute, v1.StepRunning, "waiting for 2 more approvals of release-managers"},
		{"one", two, approve("alice"), time.Minute, v1.StepRunning, "waiting for 1 more approval of release-managers (approved by alice)"},
		{"the same person twice", two, approve("alice", "alice"), time.Minute, v1.StepRunning, "waiting for 1 more approval"},
		{"two of three", two, approve("alice", "bob"), time.Minute, v1.StepSucceeded, "approved by alice, bob"},
		{"requester counts when not excluded", two, approve("lead", "bob"), time.Minute, v1.StepSucceeded, "approved by lead, bob"},
		{"requester excluded", excl, approve("lead", "bob"), time.Minute, v1.StepRunning, "waiting for 1 more approval"},
		{"timed out", two, approve("alice"), time.Hour, v1.StepFailed, "timed out after 1h0m0s with 1 of 2 approvals of release-managers"},
		{"approved just before the timeout", two, approve("alice", "bob"), time.Hour, v1.StepSucceeded, "approved by"},
		{"default is one approval", promotion.ApprovalConfig{Approvers: promotion.Approvers{Claims: map[string][]string{"groups": {"sre"}}}}, approve("carol"), time.Minute, v1.StepSucceeded, "approved by carol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &v1.StepExecutionMetadata{StartedAt: &start, Inputs: tt.inputs}
			o := promotion.Human(promotion.WaitForApproval, tt.cfg, m, "lead", start.Add(tt.at))
			if o.Status != tt.wantStatus || !strings.Contains(o.Message, tt.wantMsg) {
				t.Errorf("Human() = %s %q, want %s %q", o.Status, o.Message, tt.wantStatus, tt.wantMsg)
			}
			if o.Status == v1.StepRunning && !o.Deadline.Equal(start.Add(time.Hour)) {
				t.Errorf("Deadline = %v, want the start plus the 1h timeout", o.Deadline)
			}
		})
	}
}

// TestRefuseApproval: only people the rule matches — by role or by OIDC claim — may approve,
// once each, and not the requester when excluded.
func TestRefuseApproval(t *testing.T) {
	c := promotion.ApprovalConfig{Approvals: 2, ExcludeRequester: true, Approvers: promotion.Approvers{
		Roles: []string{"release-managers"}, Claims: map[string][]string{"groups": {"sre"}}}}
	had := []v1.StepInput{{Actor: "alice", Approved: true}}
	tests := []struct {
		name string
		who  promotion.Person
		want string
	}{
		{"by role", promotion.Person{Actor: "bob", Roles: []string{"developer", "release-managers"}}, ""},
		{"by claim", promotion.Person{Actor: "carol", Claims: map[string][]string{"groups": {"eng", "sre"}}}, ""},
		{"no match", promotion.Person{Actor: "dave", Roles: []string{"developer"}, Claims: map[string][]string{"groups": {"eng"}}}, "not an approver of this step: approvers are release-managers or groups sre"},
		{"twice", promotion.Person{Actor: "alice", Roles: []string{"release-managers"}}, "approved this step already"},
		{"requester", promotion.Person{Actor: "lead", Roles: []string{"release-managers"}}, "may not approve it (excludeRequester)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := promotion.RefuseApproval(c, had, "lead", tt.who)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("RefuseApproval(%s) = %v, want %q", tt.who.Actor, err, tt.want)
			}
		})
	}
}

// TestCheckHumanConfig: configs that could never be met are refused naming the field.
func TestCheckHumanConfig(t *testing.T) {
	roles := func(r string) bool { return r == "release-managers" }
	tests := []struct {
		name string
		err  error
		want string // "" means no error
	}{
		{"role", promotion.CheckApproval(promotion.ApprovalConfig{Approvers: promotion.Approvers{Roles: []string{"release-managers"}}}, roles), ""},
		{"nobody", promotion.CheckApproval(promotion.ApprovalConfig{}, roles), "config.approvers: names nobody"},
		{"missing role", promotion.CheckApproval(promotion.ApprovalConfig{Approvers: promotion.Approvers{Roles: []string{"release-manager"}}}, roles), `config.approvers.roles[0]: role "release-manager" does not exist`},
		{"empty claim", promotion.CheckApproval(promotion.ApprovalConfig{Approvers: promotion.Approvers{Claims: map[string][]string{"groups": {}}}}, roles), "config.approvers.claims.groups: lists no value"},
		{"N > M", promotion.CheckApproval(promotion.ApprovalConfig{Approvals: 3, Approvers: promotion.Approvers{Claims: map[string][]string{"email": {"a@x", "b@x"}}}}, roles), "config.approvals: 3 approvals needed but the approvers name only 2 people"},
		{"N of a group", promotion.CheckApproval(promotion.ApprovalConfig{Approvals: 3, Approvers: promotion.Approvers{Claims: map[string][]string{"groups": {"sre"}}}}, roles), ""},
		{"bad timeout", promotion.CheckApproval(promotion.ApprovalConfig{Approvers: promotion.Approvers{Roles: []string{"release-managers"}}, Timeout: "soon"}, roles), `config.timeout: "soon" is not a positive duration`},
		{"form", promotion.CheckInput(promotion.InputConfig{Schema: map[string]any{"type": "object", "properties": map[string]any{"ticket": map[string]any{"type": "string"}}}}), ""},
		{"form not an object", promotion.CheckInput(promotion.InputConfig{Schema: map[string]any{"type": "string"}}), "config.schema: must describe an object"},
		{"form not a schema", promotion.CheckInput(promotion.InputConfig{Schema: map[string]any{"type": "object", "properties": map[string]any{"n": map[string]any{"type": "numeric"}}}}), "config.schema: invalid JSON schema"},
		{"form loads others", promotion.CheckInput(promotion.InputConfig{Schema: map[string]any{"type": "object", "$ref": "https://example.com/s.json"}}), "config.schema: invalid JSON schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" && tt.err != nil || tt.want != "" && (tt.err == nil || !strings.Contains(tt.err.Error(), tt.want)) {
				t.Errorf("error = %v, want %q", tt.err, tt.want)
			}
		})
	}
}

// TestUserInput: the answers, once they fit the form, are the step's outputs; answers that do
// not fit, and a second answer, are refused; no answer before the timeout fails the step.
func TestUserInput(t *testing.T) {
	start := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	c := promotion.InputConfig{Timeout: "30m", Schema: map[string]any{"type": "object", "required": []any{"ticket"},
		"properties": map[string]any{"ticket": map[string]any{"type": "string", "pattern": "^T-[0-9]+$"}, "replicas": map[string]any{"type": "integer"}}}}
	if err := promotion.RefuseAnswers(c, nil, map[string]any{"replicas": 2}); err == nil || !strings.Contains(err.Error(), "ticket: required field is missing") {
		t.Errorf("RefuseAnswers(no ticket) = %v, want the missing field named", err)
	}
	if err := promotion.RefuseAnswers(c, nil, map[string]any{"ticket": "nope"}); err == nil || !strings.Contains(err.Error(), "ticket") {
		t.Errorf("RefuseAnswers(bad ticket) = %v, want the field named", err)
	}
	answers := map[string]any{"ticket": "T-42", "replicas": float64(3)}
	if err := promotion.RefuseAnswers(c, nil, answers); err != nil {
		t.Errorf("RefuseAnswers(good) = %v, want nil", err)
	}
	had := []v1.StepInput{{Actor: "alice", Answers: answers}}
	if err := promotion.RefuseAnswers(c, had, answers); err == nil || !strings.Contains(err.Error(), "answered already by alice") {
		t.Errorf("RefuseAnswers(second) = %v, want answered already", err)
	}
	m := &v1.StepExecutionMetadata{StartedAt: &start}
	if o := promotion.Human(promotion.GetUserInput, c, m, "", start.Add(time.Minute)); o.Status != v1.StepRunning || o.Reason != "WaitingForInput" {
		t.Errorf("Human(unanswered) = %+v, want Running WaitingForInput", o)
	}
	if o := promotion.Human(promotion.GetUserInput, c, m, "", start.Add(30*time.Minute)); o.Status != v1.StepFailed || !strings.Contains(o.Message, "timed out after 30m0s without an answer") {
		t.Errorf("Human(timed out) = %+v, want Failed naming the timeout", o)
	}
	m.Inputs = had
	if o := promotion.Human(promotion.GetUserInput, c, m, "", start.Add(time.Minute)); o.Status != v1.StepSucceeded || o.Outputs["ticket"] != "T-42" {
		t.Errorf("Human(answered) = %+v, want Succeeded with the answers as outputs", o)
	}
}

// TestAddInput: an input is recorded on the current waiting human step only, and the same
// person's second approval and a second set of answers are not recorded.
func TestAddInput(t *testing.T) {
	p := &v1.Promotion{
		Spec: v1.PromotionSpec{Steps: []v1.PromotionStep{{Uses: "wait-for-approval", As: "ok"}, {Uses: "get-user-input", As: "form"}}},
		Status: v1.PromotionStatus{Phase: v1.PhaseRunning, StepExecutionMetadata: []v1.StepExecutionMetadata{
			{Alias: "ok", Uses: "wait-for-approval", Attempts: 1, Status: v1.StepRunning}}},
	}
	at := time.Now()
	steps := []struct {
		alias string
		in    v1.StepInput
		want  bool
	}{
		{"ok", v1.StepInput{Actor: "alice", Approved: true, At: at}, true},
		{"ok", v1.StepInput{Actor: "alice", Approved: true, At: at}, false},
		{"ok", v1.StepInput{Actor: "bob", Approved: true, At: at}, true},
		{"form", v1.StepInput{Actor: "bob", Answers: map[string]any{"a": 1}, At: at}, false},
		{"nope", v1.StepInput{Actor: "bob", Approved: true, At: at}, false},
	}
	for i, s := range steps {
		if got := promotion.AddInput(p, s.alias, s.in); got != s.want {
			t.Errorf("AddInput #%d (%s by %s) = %v, want %v", i, s.alias, s.in.Actor, got, s.want)
		}
	}
	if n := len(p.Status.StepExecutionMetadata[0].Inputs); n != 2 {
		t.Errorf("recorded %d inputs, want 2 (alice and bob once each)", n)
	}
	p.Status.Phase = v1.PhaseAborted
	if promotion.AddInput(p, "ok", v1.StepInput{Actor: "carol", Approved: true}) {
		t.Error("AddInput recorded an input on a finished Promotion")
	}
}

// TestFormAnswers: the web UI's text fields become answers typed as the schema's properties
// say, empty ones left out, and a value that does not parse names its field.
func TestFormAnswers(t *testing.T) {
	c := promotion.InputConfig{Schema: map[string]any{"type": "object", "required": []any{"ticket"}, "properties": map[string]any{
		"ticket":   map[string]any{"type": "string", "description": "Change ticket"},
		"replicas": map[string]any{"type": "integer", "default": 3},
		"ratio":    map[string]any{"type": "number"},
		"canary":   map[string]any{"type": "boolean"},
		"region":   map[string]any{"type": "string", "enum": []any{"eu", "us"}},
	}}}
	fields := c.Fields()
	if len(fields) != 5 || fields[4].Name != "ticket" || !fields[4].Required || fields[4].Description != "Change ticket" ||
		fields[2].Name != "region" || len(fields[2].Enum) != 2 || fields[3].Default != "3" {
		t.Errorf("Fields() = %+v, want five by name, ticket required, region's enum, replicas' default", fields)
	}
	got, err := c.FormAnswers(map[string]string{"ticket": "CHG-1", "replicas": "4", "ratio": "0.5", "canary": "true", "region": ""})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ticket": "CHG-1", "replicas": int64(4), "ratio": 0.5, "canary": true}
	if len(got) != len(want) || got["replicas"] != want["replicas"] || got["ratio"] != want["ratio"] || got["canary"] != true || got["ticket"] != "CHG-1" {
		t.Errorf("FormAnswers() = %v, want %v", got, want)
	}
	if _, err := c.FormAnswers(map[string]string{"replicas": "many"}); err == nil || !strings.Contains(err.Error(), `replicas: "many" is not an integer`) {
		t.Errorf("FormAnswers(replicas=many) = %v, want the field named", err)
	}
}

// TestMessage: a list shows what a Promotion waiting at a human step waits for, and its own
// message otherwise.
func TestMessage(t *testing.T) {
	p := &v1.Promotion{Status: v1.PromotionStatus{Phase: v1.PhaseRunning, CurrentStep: 1, StepExecutionMetadata: []v1.StepExecutionMetadata{
		{Alias: "clone", Uses: "git-clone", Status: v1.StepSucceeded},
		{Alias: "sign-off", Uses: "wait-for-approval", Status: v1.StepRunning, Message: "waiting for 1 more approval of release-managers"}}}}
	if got, want := promotion.Message(p), "step sign-off: waiting for 1 more approval of release-managers"; got != want {
		t.Errorf("Message(waiting) = %q, want %q", got, want)
	}
	p.Status.StepExecutionMetadata[1].Uses = "argocd-wait"
	if got := promotion.Message(p); got != "" {
		t.Errorf("Message(running another step) = %q, want empty", got)
	}
	p.Status.Phase, p.Status.Message = v1.PhaseFailed, "boom"
	if got := promotion.Message(p); got != "boom" {
		t.Errorf("Message(failed) = %q, want its own message", got)
	}
}
