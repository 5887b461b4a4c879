package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// humanStage is a Stage whose template runs steps, promoted from direct Freight.
func humanStage(t *testing.T, b *bus.Bus, steps ...v1.PromotionStep) {
	t.Helper()
	putResource(t, b, project, v1.KindStage, "prod", v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: "prod", Namespace: project},
		Spec:     v1.StageSpec{RequestedFreight: direct, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: steps}}},
	})
}

// stepAt reads step i of the only Promotion of prod, once it has one.
func stepAt(t *testing.T, b *bus.Bus, i int) (v1.StepExecutionMetadata, bool) {
	p := onlyPromotion(t, b, "prod")
	if p == nil || len(p.Status.StepExecutionMetadata) <= i {
		return v1.StepExecutionMetadata{}, false
	}
	return p.Status.StepExecutionMetadata[i], true
}

// rejectedSaying reports whether a command.rejected event says want.
func rejectedSaying(t *testing.T, b *bus.Bus, want string) func() bool {
	return func() bool {
		for _, e := range events(t, b, project) {
			if e.Type == v1.TypeCommandRejected && strings.Contains(string(e.Data), want) {
				return true
			}
		}
		return false
	}
}

// TestHumanSteps (docs/steps/wait-for-approval.md, docs/steps/get-user-input.md): two
// approvers of three release a wait-for-approval step, the same person's second approval and
// the requester's (excluded) do not count; a get-user-input step's answers, once they fit its
// form, reach a later step's config; every input is in the audit trail with its actor.
func TestHumanSteps(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	humanStage(t, b,
		v1.PromotionStep{Uses: "wait-for-approval", As: "sign-off", Config: map[string]any{
			"approvals": 2, "approvers": map[string]any{"roles": []any{"release-managers"}}, "excludeRequester": true, "timeout": "1h"}},
		v1.PromotionStep{Uses: "get-user-input", As: "ticket", Config: map[string]any{"schema": map[string]any{
			"type": "object", "required": []any{"ticket"}, "properties": map[string]any{"ticket": map[string]any{"type": "string", "pattern": "^CHG-[0-9]+$"}}}}},
		v1.PromotionStep{Uses: "compose-output", As: "read", Config: map[string]any{"ticket": "${{ outputs.ticket.ticket }}"}},
	)
	f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}}})
	publishPromote(t, ns, "prod", f) // asked for by email:ops@example.com
	n := 0
	input := func(cmd v1.StepInputCommand) {
		t.Helper()
		n++
		cmd.Promotion = onlyPromotion(t, b, "prod").Metadata.Name
		if err := b.Publish(t.Context(), bus.CommandSubject(project, "input"), "input-"+string(rune('a'+n)), cmd); err != nil {
			t.Fatal(err)
		}
	}
	approve := func(actor string) {
		input(v1.StepInputCommand{Step: "sign-off", Actor: actor, Roles: []string{"developer", "release-managers"}, Approve: true})
	}
	waiting := func(i int, msg string) func() bool {
		return func() bool {
			m, ok := stepAt(t, b, i)
			return ok && m.Status == v1.StepRunning && m.FinishedAt == nil && strings.Contains(m.Message, msg)
		}
	}
	waitFor(t, "the step to wait for two approvals", waiting(0, "waiting for 2 more approvals of release-managers"))

	approve("email:ops@example.com")
	waitFor(t, "the requester's approval to be refused", rejectedSaying(t, b, "may not approve it (excludeRequester)"))
	input(v1.StepInputCommand{Step: "sign-off", Actor: "email:eve@example.com", Roles: []string{"developer"}, Approve: true})
	waitFor(t, "a non-approver's approval to be refused", rejectedSaying(t, b, "email:eve@example.com is not an approver"))
	approve("email:ana@example.com")
	waitFor(t, "one approval to count", waiting(0, "waiting for 1 more approval of release-managers (approved by email:ana@example.com)"))
	approve("email:ana@example.com")
	waitFor(t, "the second approval by the same person to be refused", rejectedSaying(t, b, "has approved this step already"))
	if m, _ := stepAt(t, b, 0); m.Status != v1.StepRunning {
		t.Fatalf("sign-off = %s after one person approved twice, want Running", m.Status)
	}
	// A sender's subject (a token's, an nkey's) cannot vouch for the roles it claims.
	forged := v1.StepInputCommand{Project: project, Promotion: onlyPromotion(t, b, "prod").Metadata.Name, Step: "sign-off",
		Actor: "email:mallory@example.com", Roles: []string{"release-managers"}, Approve: true}
	if err := b.Publish(t.Context(), bus.CommandSubjectAs(project, "input", bus.NKeyIdentity), "input-forged", forged); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an input from an nkey to be refused", rejectedSaying(t, b, "input commands come from the gateway"))
	approve("email:bob@example.com")
	waitFor(t, "the form to wait for input", waiting(1, "waiting for input"))
	if m, _ := stepAt(t, b, 0); m.Status != v1.StepSucceeded || !strings.Contains(m.Message, "email:ana@example.com, email:bob@example.com") {
		t.Errorf("sign-off = %s %q, want Succeeded approved by ana and bob", m.Status, m.Message)
	}

	input(v1.StepInputCommand{Step: "ticket", Actor: "email:ana@example.com", Answers: map[string]any{"ticket": "soon"}})
	waitFor(t, "answers that do not fit the form to be refused", rejectedSaying(t, b, "answers do not fit the form"))
	input(v1.StepInputCommand{Step: "ticket", Actor: "email:ana@example.com", Answers: map[string]any{"ticket": "CHG-1234"}})
	p := waitFinished(t, b, project, 30*time.Second)
	if p.Status.Phase != v1.PhaseSucceeded || p.Status.State["read"]["ticket"] != "CHG-1234" {
		t.Errorf("promotion %s, read step's outputs %v; want Succeeded with the answered ticket", p.Status.Phase, p.Status.State["read"])
	}
	if got := p.Status.StepExecutionMetadata[1].Inputs; len(got) != 1 || got[0].Actor != "email:ana@example.com" {
		t.Errorf("ticket's inputs = %+v, want ana's answers", got)
	}

	list, err := audit.Query(t.Context(), b.JS, audit.Filter{Project: project, Verb: "input"})
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, r := range list.Records {
		if r.Resource != "promotions" || r.Name != p.Metadata.Name || r.Actor == "" || r.Actor == "unknown" {
			t.Errorf("audit record %+v, want it to name promotions/%s", r, p.Metadata.Name)
		}
		if r.Result == v1.AuditRefused {
			refused++
		}
	}
	if len(list.Records) != 8 || refused != 5 {
		t.Errorf("audit records of input = %d (%d refused), want 8 (5 refused)", len(list.Records), refused)
	}
}

// TestHumanStepTimeout: a wait-for-approval step nobody approves fails when its timeout
// passes, although the scheduler restarted while it waited (the timer is armed again at
// start).
func TestHumanStepTimeout(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startService(t, ns, "state", func(ctx context.Context, d service.Deps) error { return state.Run(ctx, state.Options{}, d) })
	run := func(ctx context.Context, d service.Deps) error { return scheduler.Run(ctx, scheduler.Options{}, d) }
	stop := startService(t, ns, "scheduler", run)
	humanStage(t, b, v1.PromotionStep{Uses: "wait-for-approval", As: "sign-off", Config: map[string]any{
		"approvers": map[string]any{"claims": map[string]any{"groups": []any{"release-managers"}}}, "timeout": "3s"}})
	f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}}})
	publishPromote(t, ns, "prod", f)
	waitFor(t, "the step to wait", func() bool {
		m, ok := stepAt(t, b, 0)
		return ok && m.Status == v1.StepRunning
	})
	stop()
	startService(t, ns, "scheduler-again", run)
	p := waitFinished(t, b, project, 30*time.Second)
	m := p.Status.StepExecutionMetadata[0]
	if p.Status.Phase != v1.PhaseFailed || m.Status != v1.StepFailed || !strings.Contains(m.Message, "timed out after 3s with 0 of 1 approvals of groups release-managers") {
		t.Errorf("promotion %s, sign-off %s %q; want Failed, timed out naming the approvers", p.Status.Phase, m.Status, m.Message)
	}
}
