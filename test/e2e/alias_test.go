package e2e_test

import (
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestSetFreightAlias: set-freight-alias renames the promoted Freight; renaming another one
// to a taken alias fails the step for good.
func TestSetFreightAlias(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	other := putFreight(t, b, project, &v1.Freight{Alias: "taken", Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v0"}}})
	if _, err := store.SetAlias(t.Context(), b, project, other, "taken"); err != nil {
		t.Fatal(err)
	}
	putResource(t, b, project, v1.KindStage, "dev", v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: project},
		Spec: v1.StageSpec{RequestedFreight: direct, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
			{Uses: "set-freight-alias", As: "name", Config: map[string]any{"name": "${{ ctx.targetFreight.name }}", "alias": "release-${{ imageFrom('ghcr.io/example/app').Tag }}"}},
			{Uses: "set-freight-alias", As: "clash", If: "${{ always() }}", Config: map[string]any{"name": "${{ ctx.targetFreight.name }}", "alias": "taken"}},
		}}}},
	})
	f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v8"}}})
	publishPromote(t, ns, "dev", f)
	var p *v1.Promotion
	waitFor(t, "the promotion to finish", func() bool {
		p = onlyPromotion(t, b, "dev")
		return p != nil && p.Status.Finished()
	})
	if m := p.Status.StepExecutionMetadata[0]; m.Status != v1.StepSucceeded || !strings.Contains(m.Message, `"release-v8"`) {
		t.Errorf("set-freight-alias: %s %q", m.Status, m.Message)
	}
	if m := p.Status.StepExecutionMetadata[1]; m.Status != v1.StepFailed || !strings.Contains(m.Message, "taken") {
		t.Errorf("set-freight-alias to a taken alias: %s %q, want Failed naming it", m.Status, m.Message)
	}
	got, err := store.Freight(t.Context(), b, project, "release-v8")
	if err != nil || got.Metadata.Name != f {
		t.Errorf("Freight by its new alias = %v, %v", got, err)
	}
}
