package e2e_test

import (
	"context"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/argocd/argocdtest"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/store"
	executorargocd "github.com/drayhq/dray/services/executor-argocd"
)

// syncedStep stands in for argocd-update, whose syncs would take the test 20 s of polling:
// it reports the Application synced and registers the health check the real step registers.
// The health monitor that evaluates that check is the real one, against a fake Argo CD API.
type syncedStep struct{}

func (syncedStep) Info() steps.Info {
	return steps.Info{Name: "argocd-update", Executor: executorargocd.Name, ReadOnly: true}
}

func (syncedStep) Run(context.Context, *steps.Context) (steps.Result, error) {
	return steps.Result{Outputs: map[string]any{
		"apps": []any{map[string]any{"name": "web-prod", "namespace": "argocd"}},
		"healthCheck": map[string]any{"uses": "argocd-update", "config": map[string]any{"apps": []any{
			map[string]any{"name": "web-prod", "namespace": "argocd", "desiredRevisions": []any{"abc123"}},
		}}},
	}}, nil
}

// TestVerificationWaitsForHealth: a Promotion whose argocd-update registered a health check
// is verified only once the Stage is Healthy (docs/resources.md#verification): while the Application is
// Progressing the Stage says it waits and no verification runs; when it turns Healthy the
// verification runs and verifies the Freight.
func TestVerificationWaitsForHealth(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	reg, err := steps.NewRegistry(syncedStep{})
	if err != nil {
		t.Fatal(err)
	}
	startService(t, ns, "executor-argocd", func(ctx context.Context, d service.Deps) error {
		return executor.Run(ctx, executor.Options{CacheDir: t.TempDir()}, executor.Deps{Name: executorargocd.Name, Bus: d.Bus, Log: d.Log, Steps: reg})
	})
	srv := argocdtest.NewServer(t, "tok")
	srv.Add(&argocdtest.App{Name: "web-prod", Spec: map[string]any{"source": map[string]any{"repoURL": "https://x/y.git"}}})
	srv.Update("argocd", "web-prod", func(a *argocdtest.App) {
		a.Status.Health.Status, a.Status.Sync.Revision = argocd.HealthProgressing, "abc123"
	})
	startService(t, ns, "argocd-health", func(ctx context.Context, d service.Deps) error {
		opts := executorargocd.Options{HealthInterval: 100 * time.Millisecond}
		return executorargocd.RunHealth(ctx, opts, d, argocd.NewProvider(srv.Config(), nil))
	})

	smoke := v1.PromotionStep{Uses: "compose-output", As: "smoke", Config: map[string]any{"checked": "${{ ctx.targetFreight.name }}"}}
	st := verifyingStage("prod", v1.FreightSources{Direct: true}, smoke)
	st.Spec.PromotionTemplate.Spec.Steps = []v1.PromotionStep{{Uses: "argocd-update", As: "sync", Config: map[string]any{
		"apps": []any{map[string]any{"name": "web-prod"}},
	}}}
	putResource(t, b, project, v1.KindStage, "prod", st)
	f := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v9"}},
	})
	publishPromote(t, ns, "prod", f)

	stageStatus := func() v1.StageStatus {
		s, err := store.Stage(t.Context(), b, project, "prod")
		if err != nil {
			return v1.StageStatus{}
		}
		return s.Status
	}
	waitFor(t, "the Promotion to succeed and the Stage to be Progressing", func() bool {
		s := stageStatus()
		return lastPhase(t, b, "prod") == v1.PhaseSucceeded && s.Health != nil && s.Health.Status == v1.HealthProgressing
	})
	// Health is evaluated every 100 ms: give it a few rounds to make no difference.
	time.Sleep(300 * time.Millisecond)
	s := stageStatus()
	if s.VerifyWhenHealthy == "" || s.Verification == "" {
		t.Errorf("Stage status while Progressing: verifyWhenHealthy %q, verification %q; want the wait recorded and said", s.VerifyWhenHealthy, s.Verification)
	}
	ps, err := listPromotions(t, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if _, ok := p.Metadata.Annotations[v1.AnnotationVerifies]; ok {
			t.Fatalf("verification %s (%s) created while the Stage is Progressing", p.Metadata.Name, p.Status.Phase)
		}
	}
	if fr, err := store.Freight(t.Context(), b, project, f); err != nil || fr.Status.VerifiedIn["prod"].VerifiedAt != nil {
		t.Fatalf("Freight verified in prod before the Stage was Healthy (%v)", err)
	}

	srv.Update("argocd", "web-prod", func(a *argocdtest.App) { a.Status.Health.Status = argocd.HealthHealthy })
	waitFor(t, "the verification to run and verify the Freight", func() bool {
		fr, err := store.Freight(t.Context(), b, project, f)
		return err == nil && fr.Status.VerifiedIn["prod"].VerifiedAt != nil
	})
	if n := verificationRuns(t, b, "prod"); n != 1 {
		t.Errorf("%d verification runs, want 1", n)
	}
	waitFor(t, "the wait to be cleared", func() bool {
		s := stageStatus()
		return s.VerifyWhenHealthy == "" && s.Verification == ""
	})
}
