package promotiondata_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/services/scheduler/internal/promotiondata"
)

// TestFor: the data functions read the project's ConfigMaps, the shared ones, Freight and
// Stage metadata and the Stage's Warehouses from the buckets; what does not exist is nil,
// not an error; and without a secrets store secret() is not available.
func TestFor(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	store := func(key string, v any, where string) {
		t.Helper()
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		kv := map[string]jetstream.KeyValue{"resources": b.Resources, "freight": b.Freight, "stages": b.Stages}[where]
		if _, err := kv.Put(ctx, key, data); err != nil {
			t.Fatal(err)
		}
	}
	store(bus.ResourceKey("demo", v1.KindConfigMap, "settings"), v1.ConfigMap{Data: map[string]string{"env": "dev"}}, "resources")
	store(bus.ResourceKey(v1.SharedProject, v1.KindConfigMap, "global"), v1.ConfigMap{Data: map[string]string{"org": "acme"}}, "resources")
	store(bus.Key("demo", "abc"), v1.Freight{Status: v1.FreightStatus{Metadata: map[string]any{"ticket": "T-1"}}}, "freight")
	store(bus.Key("demo", "dev"), v1.StageStatus{Metadata: map[string]any{"owner": "web"}}, "stages")
	store(bus.ResourceKey("demo", v1.KindStage, "dev"), v1.Stage{Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"},
		Spec: v1.StageSpec{RequestedFreight: []v1.FreightRequest{{Origin: v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "gone"}}}}}, "resources")

	p := &v1.Promotion{Metadata: v1.ObjectMeta{Name: "p", Namespace: "demo"}, Spec: v1.PromotionSpec{Stage: "dev", Freight: "abc"}}
	d := promotiondata.For(ctx, b, nil, "https://dray.example.com", p)

	if d.UIBaseURL != "https://dray.example.com" {
		t.Errorf("UIBaseURL = %q", d.UIBaseURL)
	}
	if d.Secret != nil || d.SharedSecret != nil {
		t.Error("secret() is available without a secrets store")
	}
	check := func(what string, got any, err error, want any) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}
	cm, err := d.ConfigMap("settings")
	check("configMap(settings)", cm, err, map[string]string{"env": "dev"})
	cm, err = d.ConfigMap("missing")
	check("configMap(missing)", cm, err, map[string]string(nil))
	cm, err = d.SharedConfigMap("global")
	check("sharedConfigMap(global)", cm, err, map[string]string{"org": "acme"})
	md, err := d.FreightMetadata("abc")
	check("freightMetadata(abc)", md, err, map[string]any{"ticket": "T-1"})
	md, err = d.FreightMetadata("missing")
	check("freightMetadata(missing)", md, err, map[string]any(nil))
	md, err = d.StageMetadata("dev")
	check("stageMetadata(dev)", md, err, map[string]any{"owner": "web"})
	ws, err := d.Warehouses()
	check("Warehouses()", ws, err, []v1.Warehouse{{Metadata: v1.ObjectMeta{Name: "gone", Namespace: "demo"}}})
}
