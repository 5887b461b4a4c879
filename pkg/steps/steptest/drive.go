package steptest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
)

// driveLimit is how far Drive's clock may run before it gives up on the Promotion.
const driveLimit = 24 * time.Hour

// Drive runs a Promotion of one step, s with config aliased "step", to its end as dray run
// does (pkg/promotion's Driver, each attempt an executor.Attempt), and returns it. Its clock
// jumps to each next attempt instead of sleeping, and moves a second per attempt, so a step
// that keeps Running meets its retry.timeout, or its default one, at once. Drive fails the test when the Promotion has
// not finished after 24 hours of that clock.
func Drive(t testing.TB, s steps.Step, config map[string]any) *v1.Promotion {
	t.Helper()
	info := s.Info()
	reg, err := steps.NewRegistry(s)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	start := time.Now().UTC()
	clock := start
	d := &promotion.Driver{
		Eval:  expr.New(),
		Route: func(uses string) (string, bool) { return info.Executor, uses == info.Name },
		Run: func(ctx context.Context, job *v1.StepJob, _ string) *v1.StepResult {
			clock = clock.Add(time.Second)
			a := executor.NewAttempt(job, reg.Lookup, log, "steptest")
			if r := a.Check(); r != nil {
				return r
			}
			out, o := a.Run(ctx, dir, root)
			return a.Result(o, out.Outputs, job.Workspace)
		},
		Now: func() time.Time { return clock },
		Sleep: func(_ context.Context, d time.Duration) error {
			clock = clock.Add(d)
			if clock.Sub(start) > driveLimit {
				return fmt.Errorf("%s still unfinished after %s", info.Name, driveLimit)
			}
			return nil
		},
	}
	p := &v1.Promotion{
		Metadata: v1.ObjectMeta{Name: "prod.01j", Namespace: "kargo-demo"},
		Spec: v1.PromotionSpec{Stage: "prod", Freight: "abc1234",
			Steps: []v1.PromotionStep{{Uses: info.Name, As: "step", Config: config}}},
	}
	p, err = d.Drive(t.Context(), p)
	if err != nil {
		t.Fatalf("Drive(%s) = %v", info.Name, err)
	}
	return p
}
