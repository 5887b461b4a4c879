package arrival_test

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/services/state/internal/arrival"
	"github.com/drayhq/dray/services/state/internal/records"
)

// TestReceive: a successful Promotion's Freight enters the Stage's history and is currentlyIn
// the Stage; the Freight of the same origin it replaces leaves the Stage.
func TestReceive(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	a := &arrival.Recorder{Bus: b, Records: records.New(b, slog.New(slog.DiscardHandler), nil)}
	put := func(kv jetstream.KeyValue, key string, v any) {
		t.Helper()
		data, _ := json.Marshal(v)
		if _, err := kv.Put(ctx, key, data); err != nil {
			t.Fatal(err)
		}
	}
	origin := v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "app"}
	dev := &v1.Stage{Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"}, Spec: v1.StageSpec{RequestedFreight: []v1.FreightRequest{{Origin: origin}}}}
	put(b.Resources, bus.ResourceKey("demo", v1.KindStage, "dev"), dev)
	for _, name := range []string{"old", "new"} {
		put(b.Freight, bus.Key("demo", name), v1.Freight{Metadata: v1.ObjectMeta{Name: name, Namespace: "demo"}, Origin: origin})
	}
	finished := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	promo := func(name, freight string) *v1.Promotion {
		f := &v1.Freight{Metadata: v1.ObjectMeta{Name: freight, Namespace: "demo"}, Origin: origin}
		return &v1.Promotion{Metadata: v1.ObjectMeta{Name: name, Namespace: "demo"}, Spec: v1.PromotionSpec{Stage: "dev", Freight: freight},
			Status: v1.PromotionStatus{Phase: v1.PhaseSucceeded, FinishedAt: &finished, Freight: f}}
	}

	for _, p := range []*v1.Promotion{promo("dev.01a.old", "old"), promo("dev.01b.new", "new")} {
		if err := a.Receive(ctx, p, dev); err != nil {
			t.Fatal(err)
		}
	}
	var st v1.StageStatus
	if _, err := b.GetJSON(ctx, b.Stages, bus.Key("demo", "dev"), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.FreightHistory) == 0 || st.FreightHistory[0].Freight != "new" {
		t.Errorf("history %+v; want the new Freight first", st.FreightHistory)
	}
	in := func(name string) bool {
		t.Helper()
		var f v1.Freight
		if _, err := b.GetJSON(ctx, b.Freight, bus.Key("demo", name), &f); err != nil {
			t.Fatal(err)
		}
		_, ok := f.Status.CurrentlyIn["dev"]
		return ok
	}
	if !in("new") || in("old") {
		t.Errorf("currentlyIn dev: new %v, old %v; want only the new one", in("new"), in("old"))
	}
}
