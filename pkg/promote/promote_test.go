package promote_test

import (
	"encoding/json"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/store"
)

func put(t *testing.T, b *bus.Bus, key string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Resources.Put(t.Context(), key, data); err != nil {
		t.Fatal(err)
	}
}

// TestCustomStepDefaults: a step of a CustomPromotionStep kind that sets no retry gets the
// kind's defaultTimeout and defaultErrorThreshold; what a step sets itself wins.
func TestCustomStepDefaults(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	origin := v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
	put(t, b, bus.ResourceKey("shop", v1.KindCustomPromotionStep, "smoke"), v1.CustomPromotionStep{
		Metadata: v1.ObjectMeta{Name: "smoke", Namespace: "shop"},
		Spec:     v1.CustomPromotionStepSpec{Image: "busybox", Command: []string{"true"}, DefaultTimeout: "10m", DefaultErrorThreshold: 3},
	})
	put(t, b, bus.ResourceKey("shop", v1.KindStage, "dev"), v1.Stage{
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: "shop"},
		Spec: v1.StageSpec{
			RequestedFreight: []v1.FreightRequest{{Origin: origin, Sources: v1.FreightSources{Direct: true}}},
			PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
				{Uses: "smoke", As: "plain"},
				{Uses: "smoke", As: "own", Retry: &v1.PromotionStepRetry{ErrorThreshold: 7}},
				{Uses: "compose-output", As: "builtin"},
			}}},
		},
	})
	f := &v1.Freight{Origin: origin, Images: []v1.Image{{RepoURL: "ghcr.io/x/app", Tag: "v1"}}}
	if _, err := store.CreateFreight(t.Context(), b, "shop", f); err != nil {
		t.Fatal(err)
	}
	p, err := promote.Build(t.Context(), b, &v1.PromoteCommand{Project: "shop", Stage: "dev", Freight: f.Metadata.Name})
	if err != nil {
		t.Fatal(err)
	}
	want := []v1.PromotionStepRetry{{Timeout: "10m", ErrorThreshold: 3}, {Timeout: "10m", ErrorThreshold: 7}}
	for i, w := range want {
		if r := p.Spec.Steps[i].Retry; r == nil || *r != w {
			t.Errorf("step %s retry = %+v, want %+v", p.Spec.Steps[i].As, r, w)
		}
	}
	if r := p.Spec.Steps[2].Retry; r != nil {
		t.Errorf("built-in step got retry %+v", r)
	}
}
