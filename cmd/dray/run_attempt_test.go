package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
)

// panics is a step that panics.
type panics struct{}

func (panics) Info() steps.Info { return steps.Info{Name: "panic", Executor: "test"} }

func (panics) Run(context.Context, *steps.Context) (steps.Result, error) {
	var m map[string]int
	m["boom"]++ // assignment to entry in nil map
	return steps.Result{}, nil
}

// TestRunPanicErrors: under dray run, as under the executors (pkg/executor's
// TestRunOneStep), a panicking step errors with reason Panicked and no retry, the Promotion
// ends Errored, and the stack is in the log.
func TestRunPanicErrors(t *testing.T) {
	var logs bytes.Buffer
	r, err := newRunner(io.Discard, &logs, filepath.Join(t.TempDir(), "work"), false, runLimits{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.root.Close()
	r.steps["panic"] = panics{}
	p := &v1.Promotion{
		Metadata: v1.ObjectMeta{Name: "dev.01", Namespace: "shop"},
		Spec:     v1.PromotionSpec{Stage: "dev", Steps: []v1.PromotionStep{{Uses: "panic", As: "boom"}}},
	}
	var results []*v1.StepResult
	d := &promotion.Driver{Eval: expr.New(), Route: r.route, Run: r.run,
		Observe: func(_ *v1.Promotion, res *v1.StepResult) { results = append(results, res) }}

	p, err = d.Drive(t.Context(), p)

	if err != nil {
		t.Fatalf("Drive() = %v", err)
	}
	if p.Status.Phase != v1.PhaseErrored {
		t.Errorf("Phase after a panicking step = %s (%s), want %s", p.Status.Phase, p.Status.Message, v1.PhaseErrored)
	}
	if len(results) != 1 || results[0].Status != v1.StepErrored || !results[0].Terminal || results[0].Reason != "Panicked" {
		t.Errorf("results = %+v, want one Errored, terminal, reason Panicked", results)
	}
	if log := logs.String(); !strings.Contains(log, "step panicked") || !strings.Contains(log, "goroutine") {
		t.Errorf("log = %q, want the panic and its stack", log)
	}
}
