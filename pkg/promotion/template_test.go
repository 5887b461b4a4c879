package promotion_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/promotion"
)

// templateCase is one golden case in testdata/templates: a template, the tasks it uses, a
// script of step outcomes, and what the Promotion must end as.
type templateCase struct {
	Vars  []v1.ExpressionVariable         `json:"vars"`
	Steps []v1.PromotionStep              `json:"steps"`
	Tasks map[string]v1.PromotionTaskSpec `json:"tasks"`
	// Script lists, by alias, the status of each attempt; a step not listed succeeds. A
	// scripted step's outputs are its rendered config, so cases can check expressions.
	Script map[string][]string `json:"script"`
	Want   struct {
		// Error is a substring of the error New returns; then nothing runs.
		Error   string                    `json:"error"`
		Phase   string                    `json:"phase"`
		Message string                    `json:"message"`
		Steps   map[string]string         `json:"steps"`
		Outputs map[string]map[string]any `json:"outputs"`
		// Attempts counts attempts by alias, where it matters.
		Attempts map[string]int `json:"attempts"`
	} `json:"want"`
}

// TestTemplates runs whole templates through New, Next, Prepare and Record with a fake
// clock, the way the scheduler and dray run drive them.
func TestTemplates(t *testing.T) {
	files, err := filepath.Glob("testdata/templates/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden templates: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var tc templateCase
			if err := yaml.UnmarshalStrict(data, &tc); err != nil {
				t.Fatalf("decode %s: %v", file, err)
			}
			runTemplate(t, &tc)
		})
	}
}

func runTemplate(t *testing.T, tc *templateCase) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	stage := &v1.Stage{
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"},
		Spec: v1.StageSpec{PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{
			Vars: tc.Vars, Steps: tc.Steps,
		}}},
	}
	freight := &v1.Freight{
		Metadata: v1.ObjectMeta{Name: "f00dfeed1234"},
		Alias:    "calm-heron",
		Origin:   v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images:   []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1.4.2"}},
	}
	p, err := promotion.New(promotion.Request{
		Project: "demo", Stage: stage, Freight: freight, Name: "dev.x.f00dfee", Now: now, Actor: "email:ops@example.com",
		Tasks: func(ref v1.PromotionTaskReference) (*v1.PromotionTaskSpec, error) {
			spec, ok := tc.Tasks[ref.Name]
			if !ok {
				return nil, promotion.ErrTaskNotFound
			}
			return &spec, nil
		},
	})
	if tc.Want.Error != "" {
		if err == nil || !strings.Contains(err.Error(), tc.Want.Error) {
			t.Fatalf("New() error = %v, want one containing %q", err, tc.Want.Error)
		}
		return
	}
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	attempts := map[string]int{}
	d := &promotion.Driver{
		Eval: expr.New(),
		Route: func(uses string) (string, bool) {
			switch uses {
			case "compose-output", "fail":
				return promotion.Scheduler, true
			case "unknown-kind":
				return "", false
			}
			return "test", true
		},
		Now:   func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil },
		Run: func(_ context.Context, job *v1.StepJob, _ string) *v1.StepResult {
			attempts[job.Alias]++
			status := v1.StepSucceeded
			if s := tc.Script[job.Alias]; len(s) >= job.Attempt {
				status = s[job.Attempt-1]
			}
			r := &v1.StepResult{
				Project: job.Project, Promotion: job.Promotion, Step: job.Step, Alias: job.Alias, Uses: job.Uses,
				Attempt: job.Attempt, Status: status, Outputs: job.Config, StartedAt: now, FinishedAt: now,
			}
			switch status {
			case v1.StepFailed:
				r.Terminal, r.Message = true, "scripted failure"
			case v1.StepErrored:
				r.Message = "scripted error"
			case v1.StepRunning:
				r.RetryAfter = "30s"
			}
			now = now.Add(time.Second)
			return r
		},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p, err = d.Drive(ctx, p)
	if err != nil {
		t.Fatalf("Drive() = %v", err)
	}
	gotSteps := map[string]string{}
	for _, m := range p.Status.StepExecutionMetadata {
		gotSteps[m.Alias] = m.Status
	}
	if p.Status.Phase != tc.Want.Phase {
		t.Errorf("phase = %s (%q), want %s", p.Status.Phase, p.Status.Message, tc.Want.Phase)
	}
	if tc.Want.Message != "" && !strings.Contains(p.Status.Message, tc.Want.Message) {
		t.Errorf("message = %q, want it to contain %q", p.Status.Message, tc.Want.Message)
	}
	if diff := cmp.Diff(tc.Want.Steps, gotSteps); diff != "" {
		t.Errorf("step statuses (-want +got):\n%s", diff)
	}
	for alias, want := range tc.Want.Outputs {
		if diff := cmp.Diff(want, p.Status.State[alias]); diff != "" {
			t.Errorf("outputs[%q] (-want +got):\n%s", alias, diff)
		}
	}
	for alias, want := range tc.Want.Attempts {
		if attempts[alias] != want {
			t.Errorf("%s ran %d times, want %d", alias, attempts[alias], want)
		}
	}
}

// TestPrepareSendsCtx: the job carries the ctx its config was rendered with, for steps that
// render templates of their own (custom steps).
func TestPrepareSendsCtx(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	stage := &v1.Stage{
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"},
		Spec: v1.StageSpec{PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{
			Steps: []v1.PromotionStep{{Uses: "my-step", As: "mine"}},
		}}},
		// The Stage held this Freight before the one it holds now: promoting it is a rollback.
		Status: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{
			{Freight: "0ther0ther12", Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}},
			{Freight: "f00dfeed1234", Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}},
		}},
	}
	freight := &v1.Freight{
		Metadata: v1.ObjectMeta{Name: "f00dfeed1234"}, Alias: "calm-heron",
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
	}
	p, err := promotion.New(promotion.Request{Project: "demo", Stage: stage, Freight: freight, Name: "dev.x.f00dfee", Now: now, Actor: "email:ops@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	act := promotion.Next(p, now)
	prep := promotion.Prepare(expr.New(), p, act, promotion.PrepareOptions{
		Route: func(string) (string, bool) { return "container", true }, Now: now,
		Data: promotion.Data{UIBaseURL: "https://dray.example.com"},
	})
	if prep.Job == nil {
		t.Fatalf("Prepare() = %+v, want a job", prep)
	}
	want := map[string]any{
		"project": "demo", "stage": "dev", "promotion": "dev.x.f00dfee", "uiBaseUrl": "https://dray.example.com",
		"targetFreight": map[string]any{"name": "f00dfeed1234", "alias": "calm-heron", "origin": map[string]any{"name": "app"}},
		"meta": map[string]any{
			"promotion": map[string]any{"actor": "ops@example.com", "rollback": true},
			"step":      map[string]any{"alias": "mine"},
		},
	}
	if diff := cmp.Diff(want, prep.Job.Ctx); diff != "" {
		t.Errorf("job ctx (-want +got):\n%s", diff)
	}

	// An auto-rollback Promotion says so to its templates.
	p.Metadata.Annotations[v1.AnnotationRollback] = "true"
	prep = promotion.Prepare(expr.New(), p, act, promotion.PrepareOptions{
		Route: func(string) (string, bool) { return "container", true }, Now: now,
	})
	if got := prep.Job.Ctx["meta"].(map[string]any)["promotion"].(map[string]any)["rollback"]; got != true {
		t.Errorf("ctx.meta.promotion.rollback of a Promotion annotated %s = %v, want true", v1.AnnotationRollback, got)
	}
}

// TestRollback: a Promotion is a rollback when it moves the Stage back to Freight of the same
// origin that it held before, not when it repeats the current one or brings new Freight.
func TestRollback(t *testing.T) {
	app := v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
	db := v1.FreightOrigin{Kind: "Warehouse", Name: "db"}
	history := []v1.StageHistoryEntry{
		{Freight: "db2", Origin: db}, {Freight: "app2", Origin: app}, {Freight: "db1", Origin: db}, {Freight: "app1", Origin: app},
	}
	tests := []struct {
		freight string
		origin  v1.FreightOrigin
		want    bool
	}{
		{"app1", app, true},  // held before app2
		{"app2", app, false}, // the current Freight of its origin, promoted again
		{"db2", db, false},
		{"db1", db, true},
		{"app3", app, false}, // never held
	}
	stage := &v1.Stage{Status: v1.StageStatus{FreightHistory: history}}
	for _, tt := range tests {
		f := &v1.Freight{Metadata: v1.ObjectMeta{Name: tt.freight}, Origin: tt.origin}
		if got := promotion.Rollback(stage, f); got != tt.want {
			t.Errorf("Rollback(%s) = %v, want %v", tt.freight, got, tt.want)
		}
	}
	if promotion.Rollback(&v1.Stage{}, &v1.Freight{Metadata: v1.ObjectMeta{Name: "x"}}) {
		t.Error("Rollback() on a Stage without history = true, want false")
	}
}
