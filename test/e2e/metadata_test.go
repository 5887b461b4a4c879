package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// TestSetMetadata: set-metadata writes Stage and Freight metadata through the state service,
// stageMetadata() and freightMetadata() read it back in a later step, and a missing target
// errors the step.
func TestSetMetadata(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startService(t, ns, "state", func(ctx context.Context, d service.Deps) error { return state.Run(ctx, state.Options{}, d) })
	startService(t, ns, "scheduler", func(ctx context.Context, d service.Deps) error {
		return scheduler.Run(ctx, scheduler.Options{}, d)
	})
	steps := []v1.PromotionStep{
		{Uses: "set-metadata", As: "mark", Config: map[string]any{"updates": []any{
			map[string]any{"kind": "Stage", "name": "dev", "values": map[string]any{"lastTag": "${{ imageFrom('ghcr.io/example/app').Tag }}"}},
			map[string]any{"kind": "Freight", "name": "${{ ctx.targetFreight.name }}", "values": map[string]any{"checkedBy": "${{ ctx.meta.promotion.actor }}"}},
		}}},
		{Uses: "compose-output", As: "read", Config: map[string]any{
			"tag": "${{ stageMetadata('dev').lastTag }}",
			"by":  "${{ freightMetadata(ctx.targetFreight.name).checkedBy }}",
		}},
		{Uses: "set-metadata", As: "missing", If: "${{ always() }}", Config: map[string]any{"updates": []any{
			map[string]any{"kind": "Stage", "name": "nowhere", "values": map[string]any{"x": 1}},
		}}},
	}
	putResource(t, b, project, v1.KindStage, "dev", v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: project},
		Spec:     v1.StageSpec{RequestedFreight: direct, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: steps}}},
	})
	freightName := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v7.1.0"}},
	})
	publishPromote(t, ns, "dev", freightName)
	p := waitFinished(t, b, project, 30*time.Second)

	if diff := cmp.Diff(map[string]any{"tag": "v7.1.0", "by": "ops@example.com"}, p.Status.State["read"]); diff != "" {
		t.Errorf("metadata read back (-want +got):\n%s", diff)
	}
	missing := p.Status.StepExecutionMetadata[2]
	if missing.Status != v1.StepErrored || !strings.Contains(missing.Message, `Stage "nowhere"`) {
		t.Errorf("set-metadata of a missing Stage: %s %q, want Errored naming it", missing.Status, missing.Message)
	}
	if p.Status.Phase != v1.PhaseErrored {
		t.Errorf("phase = %s, want Errored (the missing target)", p.Status.Phase)
	}
	var st v1.StageStatus
	if _, err := b.GetJSON(t.Context(), b.Stages, bus.Key(project, "dev"), &st); err != nil || st.Metadata["lastTag"] != "v7.1.0" {
		t.Errorf("stage status metadata = %v, %v; want lastTag v7.1.0", st.Metadata, err)
	}
}

// TestPromotionCtx: ctx.uiBaseUrl is the scheduler's --ui-base-url, and
// ctx.meta.promotion.rollback is true only for the Promotion that moves the Stage back to
// Freight it held before.
func TestPromotionCtx(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startService(t, ns, "state", func(ctx context.Context, d service.Deps) error { return state.Run(ctx, state.Options{}, d) })
	startService(t, ns, "scheduler", func(ctx context.Context, d service.Deps) error {
		return scheduler.Run(ctx, scheduler.Options{UIBaseURL: "https://dray.example.com"}, d)
	})
	putResource(t, b, project, v1.KindStage, "dev", v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: project},
		Spec: v1.StageSpec{RequestedFreight: direct, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
			{Uses: "compose-output", As: "ctx", Config: map[string]any{
				"link":     "${{ ctx.uiBaseUrl }}/projects/${{ ctx.project }}/stages/${{ ctx.stage }}",
				"rollback": "${{ ctx.meta.promotion.rollback }}",
			}},
		}}}},
	})
	var names []string
	for _, tag := range []string{"v1.0.0", "v2.0.0"} {
		names = append(names, putFreight(t, b, project, &v1.Freight{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}},
		}))
	}
	// v1, then v2, then v1 again (a rollback), then v1 once more (the current Freight again).
	for i, step := range []struct {
		freight  string
		rollback bool
	}{{names[0], false}, {names[1], false}, {names[0], true}, {names[0], false}} {
		publishPromote(t, ns, "dev", step.freight)
		p := waitFinishedCount(t, b, i+1, 30*time.Second)
		want := map[string]any{"link": "https://dray.example.com/projects/" + project + "/stages/dev", "rollback": step.rollback}
		if p.Status.Phase != v1.PhaseSucceeded {
			t.Fatalf("promotion %d: phase %s (%s), want Succeeded", i+1, p.Status.Phase, p.Status.Message)
		}
		if diff := cmp.Diff(want, p.Status.State["ctx"]); diff != "" {
			t.Errorf("promotion %d of %s: ctx (-want +got):\n%s", i+1, step.freight, diff)
		}
		waitHistory(t, b, "dev", p.Metadata.Name, 30*time.Second) // rollback is decided from it
	}
}

// waitHistory waits until the Stage's freightHistory records the Promotion.
func waitHistory(t *testing.T, b *bus.Bus, stage, promotion string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var st v1.StageStatus
		if _, err := b.GetJSON(t.Context(), b.Stages, bus.Key(project, stage), &st); err == nil && len(st.FreightHistory) > 0 && st.FreightHistory[0].Promotion == promotion {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("Stage %s did not record Promotion %s within %s", stage, promotion, within)
}

// waitFinishedCount waits until n of the project's Promotions have finished and returns the
// newest of them.
func waitFinishedCount(t *testing.T, b *bus.Bus, n int, within time.Duration) *v1.Promotion {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ps, err := listPromotions(t, b)
		if err != nil {
			t.Fatal(err)
		}
		var done []v1.Promotion
		for _, p := range ps {
			if p.Status.Finished() {
				done = append(done, p)
			}
		}
		if len(done) >= n {
			newest := done[0]
			for _, p := range done[1:] {
				if p.Metadata.CreationTimestamp.After(*newest.Metadata.CreationTimestamp) {
					newest = p
				}
			}
			return &newest
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fewer than %d promotions of project %s finished within %s", n, project, within)
	return nil
}
