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
