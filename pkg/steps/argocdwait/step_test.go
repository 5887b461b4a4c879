package argocdwait_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/argocd/argocdtest"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/argocdwait"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func setup(t *testing.T, health, sync string) (*argocdtest.Server, *argocdwait.Step) {
	srv := argocdtest.NewServer(t, "tok")
	srv.Add(&argocdtest.App{Name: "web", Spec: map[string]any{}})
	srv.Update("argocd", "web", func(a *argocdtest.App) {
		a.Status.Health.Status, a.Status.Sync.Status = health, sync
	})
	return srv, argocdwait.New(argocd.NewProvider(srv.Config(), nil))
}

func TestWaitsUntilReady(t *testing.T) {
	srv, step := setup(t, argocd.HealthProgressing, argocd.SyncOutOfSync)
	sc := steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "web"}}}, nil)
	res, err := steptest.Run(t, step, sc)
	o := steps.Classify(res, err)
	if o.Status != "Running" || !strings.Contains(o.Message, "sync status is OutOfSync") || !strings.Contains(o.Message, "health is Progressing") {
		t.Fatalf("outcome = %+v, want Running naming sync and health", o)
	}
	sc.Previous = res.Outputs
	srv.Update("argocd", "web", func(a *argocdtest.App) {
		a.Status.Health.Status, a.Status.Sync.Status = argocd.HealthHealthy, argocd.SyncSynced
	})
	res, err = steptest.Run(t, step, sc)
	if err != nil {
		t.Fatalf("Run = %v, want success", err)
	}
	want := map[string]any{"apps": []any{map[string]any{"name": "web", "namespace": "argocd"}}, "lastHealth": map[string]any{"argocd/web": "Healthy"}}
	if diff := cmp.Diff(want, res.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}

func TestHealthNotTrustedBeforeReconcile(t *testing.T) {
	srv, step := setup(t, argocd.HealthHealthy, argocd.SyncSynced)
	fin := time.Date(2025, 1, 1, 0, 0, 10, 0, time.UTC)
	rec := fin.Add(-time.Second)
	srv.Update("argocd", "web", func(a *argocdtest.App) {
		a.Status.OperationState = &argocd.OperationState{Phase: argocd.OperationSucceeded, FinishedAt: &fin}
		a.Status.ReconciledAt = &rec
	})
	sc := steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "web", "waitFor": []any{"health"}}}}, nil)
	res, err := steptest.Run(t, step, sc)
	if o := steps.Classify(res, err); o.Status != "Running" || !strings.Contains(o.Message, "not reconciled") {
		t.Errorf("outcome = %+v, want Running until reconciled", o)
	}
}

func TestDegradedFromKnownStateFails(t *testing.T) {
	srv, step := setup(t, argocd.HealthProgressing, argocd.SyncSynced)
	sc := steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "web"}}}, nil)
	res, _ := steptest.Run(t, step, sc)
	sc.Previous = res.Outputs
	srv.Update("argocd", "web", func(a *argocdtest.App) {
		a.Status.Health = argocd.HealthStatus{Status: argocd.HealthDegraded, Message: "crash loop"}
	})
	_, err := steptest.Run(t, step, sc)
	o := steps.Classify(steps.Result{}, err)
	if o.Status != "Failed" || !o.Terminal || o.Reason != argocdwait.ReasonDegraded || !strings.Contains(o.Message, "turned Degraded (was Progressing): crash loop") {
		t.Errorf("outcome = %+v, want terminal Failed ApplicationDegraded", o)
	}

	// Degraded from the start is only waited on: it may still recover.
	_, step = setup(t, argocd.HealthDegraded, argocd.SyncSynced)
	sc = steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "web"}}}, nil)
	res, err = steptest.Run(t, step, sc)
	if o := steps.Classify(res, err); o.Status != "Running" {
		t.Errorf("outcome = %+v, want Running for an app Degraded from the start", o)
	}
	// Waiting for degraded accepts it.
	sc = steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "web", "waitFor": []any{"degraded", "health"}}}}, nil)
	if _, err := steptest.Run(t, step, sc); err != nil {
		t.Errorf("Run(waitFor degraded) = %v, want success", err)
	}
}

func TestNotFound(t *testing.T) {
	_, step := setup(t, argocd.HealthHealthy, argocd.SyncSynced)
	_, err := steptest.Run(t, step, steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "nope"}}}, nil))
	if !errors.Is(err, argocd.ErrNotFound) || !strings.Contains(err.Error(), "argocd/nope") {
		t.Errorf("Run(missing app) = %v, want ErrNotFound naming it", err)
	}
}

func TestInvalidConfig(t *testing.T) {
	step := argocdwait.New(argocd.NewProvider(argocd.Config{}, nil))
	for _, cfg := range []map[string]any{
		{"apps": []any{map[string]any{"name": "a", "waitFor": []any{"health", "health"}}}},
		{"apps": []any{map[string]any{"name": "a", "waitFor": []any{"ready"}}}},
		{"apps": []any{map[string]any{}}},
	} {
		if _, err := steptest.Run(t, step, steptest.NewContext(t, cfg, nil)); !errors.Is(err, steps.ErrInvalidConfig) {
			t.Errorf("Run(%v) = %v, want ErrInvalidConfig", cfg, err)
		}
	}
}

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, argocdwait.Name, argocdwait.Config{})
}

// TestDefaultTimeout: with no retry.timeout, an Application that stays Progressing ends the
// step Errored after argocd-wait's default 5m.
func TestDefaultTimeout(t *testing.T) {
	_, step := setup(t, argocd.HealthProgressing, argocd.SyncSynced)

	p := steptest.Drive(t, step, map[string]any{"apps": []any{map[string]any{"name": "web"}}})

	m := p.Status.StepExecutionMetadata[0]
	if p.Status.Phase != v1.PhaseErrored || m.Message != `step "step" timed out after 5m0s` {
		t.Errorf("Promotion = %s, step %s %q; want Errored, the step timed out after 5m0s", p.Status.Phase, m.Status, m.Message)
	}
}
