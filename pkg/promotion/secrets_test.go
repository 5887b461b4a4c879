package promotion_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/promotion"
)

// TestSecretsKeptOutOfResults: Prepare names the secret values a step's config read, and the
// Driver (dray run) records no result that shows one, whatever the step reports: outputs,
// message, a compose-output or a fail step's message.
func TestSecretsKeptOutOfResults(t *testing.T) {
	const token = "hunter2-token"
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	steps := []v1.PromotionStep{
		{Uses: "echo", As: "echo", Config: map[string]any{"value": "Bearer ${{ secret('api').token }}", "plain": "${{ ctx.stage }}"}},
		{Uses: "compose-output", As: "out", Config: map[string]any{"url": "https://x/${{ secret('api').token }}"}},
		{Uses: "fail", As: "stop", Config: map[string]any{"message": "gave up on ${{ secret('api').token }}"}},
	}
	p, err := promotion.New(promotion.Request{
		Project: "demo", Name: "dev.x.f00dfee", Now: now, Actor: "email:ops@example.com",
		Stage: &v1.Stage{
			Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"},
			Spec:     v1.StageSpec{PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: steps}}},
		},
		Freight: &v1.Freight{Metadata: v1.ObjectMeta{Name: "f00dfeed1234"}, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	d := &promotion.Driver{
		Eval: expr.New(),
		Data: promotion.Data{Secret: func(name string) (map[string]string, error) { return map[string]string{"token": token}, nil }},
		Route: func(uses string) (string, bool) {
			if uses == "echo" {
				return "test", true
			}
			return promotion.Scheduler, true
		},
		Now: func() time.Time { return now },
		Run: func(_ context.Context, job *v1.StepJob, _ string) *v1.StepResult {
			ran = append(ran, job.Config["value"].(string))
			return &v1.StepResult{
				Project: job.Project, Promotion: job.Promotion, Step: job.Step, Alias: job.Alias, Uses: job.Uses,
				Attempt: job.Attempt, Status: v1.StepSucceeded, Outputs: job.Config, Message: "sent " + job.Config["value"].(string),
				Config: job.RecordedConfig, StartedAt: now, FinishedAt: now,
			}
		},
	}
	var recorded []*v1.StepResult
	d.Observe = func(_ *v1.Promotion, r *v1.StepResult) { recorded = append(recorded, r) }
	if p, err = d.Drive(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || ran[0] != "Bearer "+token {
		t.Fatalf("the step ran with %q, want the secret value", ran)
	}
	if len(recorded) != 3 || p.Status.Phase != v1.PhaseFailed {
		t.Fatalf("recorded %d results, phase %s; want 3 and Failed", len(recorded), p.Status.Phase)
	}
	b, err := json.Marshal(struct {
		R []*v1.StepResult
		P *v1.Promotion
	}{recorded, p})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), token) {
		t.Errorf("a result or the Promotion shows the secret:\n%s", b)
	}
	if got := p.Status.State["echo"]["plain"]; got != "dev" {
		t.Errorf("output plain = %v, want dev: values without a secret are kept", got)
	}
	if !strings.Contains(p.Status.Message+recorded[2].Message, "gave up on [redacted]") {
		t.Errorf("fail message = %q, want the secret redacted", recorded[2].Message)
	}
}
