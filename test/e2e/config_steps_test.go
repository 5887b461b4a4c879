package e2e_test

import (
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestKustomizeSetImageFromFreight: kustomize-set-image without images takes them from the
// promotion's Freight, which executor-config reads from NATS; the workspace moves between the
// config executor's steps as in any promotion.
func TestKustomizeSetImageFromFreight(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	putResource(t, b, project, v1.KindStage, "dev", v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: project},
		Spec: v1.StageSpec{RequestedFreight: direct, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
			{Uses: "file-write", As: "write", Config: map[string]any{"path": "env/dev/kustomization.yaml",
				"contents": "# dev overlay\nresources: [../base]\nimages:\n- name: ghcr.io/example/app\n  newTag: v0.0.1 # replaced by Dray\n"}},
			{Uses: "kustomize-set-image", As: "set", Config: map[string]any{"path": "env/dev"}},
			{Uses: "yaml-parse", As: "read", Config: map[string]any{"path": "env/dev/kustomization.yaml",
				"outputs": []any{map[string]any{"name": "tag", "fromExpression": "images[0].newTag"}}}},
		}}}},
	})
	f := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v4.2.0"}},
	})
	publishPromote(t, ns, "dev", f)
	p := waitFinished(t, b, project, 60*time.Second)
	if p.Status.Phase != v1.PhaseSucceeded {
		t.Fatalf("promotion %s: %s", p.Status.Phase, p.Status.Message)
	}
	if got := p.Status.State["read"]["tag"]; got != "v4.2.0" {
		t.Errorf("newTag after kustomize-set-image = %v, want the Freight's v4.2.0", got)
	}
}
