package queue_test

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/timer"
	"github.com/drayhq/dray/services/state/internal/metrics"
	"github.com/drayhq/dray/services/state/internal/queue"
	"github.com/drayhq/dray/services/state/internal/records"
)

// TestQueue: queued Promotions start one at a time, oldest first; a paused Stage starts
// none and says why it waits; running the queue again starts nothing twice; the next starts
// once the current one is released.
func TestQueue(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	log := slog.New(slog.DiscardHandler)
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	w := records.New(b, log, nil)
	q := &queue.Queue{Bus: b, Log: log, Records: w, Metrics: m, Timers: &timer.Set{}}
	data, _ := json.Marshal(v1.Stage{Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"}})
	if _, err := b.Resources.Put(ctx, bus.ResourceKey("demo", v1.KindStage, "dev"), data); err != nil {
		t.Fatal(err)
	}
	var ps []*v1.Promotion
	for _, name := range []string{"dev.01a.abc", "dev.01b.def"} {
		p := &v1.Promotion{Metadata: v1.ObjectMeta{Name: name, Namespace: "demo"}, Spec: v1.PromotionSpec{Stage: "dev", Freight: name[len(name)-3:]},
			Status: v1.PromotionStatus{Phase: v1.PhasePending}}
		data, _ := json.Marshal(p)
		if _, err := b.Promotions.Create(ctx, bus.Key("demo", name), data); err != nil {
			t.Fatal(err)
		}
		if err := q.Enqueue(ctx, p, false); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	status := func() v1.StageStatus {
		t.Helper()
		var st v1.StageStatus
		if _, err := b.GetJSON(ctx, b.Stages, bus.Key("demo", "dev"), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	phase := func(name string) string {
		t.Helper()
		var p v1.Promotion
		if _, err := b.GetJSON(ctx, b.Promotions, bus.Key("demo", name), &p); err != nil {
			t.Fatal(err)
		}
		return p.Status.Phase
	}

	if err := w.Stage(ctx, "demo", "dev", func(st *v1.StageStatus) bool { return stage.Pause(st, "alice", "freeze", time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if err := q.StartNext(ctx, "demo", "dev"); err != nil {
		t.Fatal(err)
	}
	if st := status(); st.CurrentPromotion != nil || st.Waiting == "" || phase(ps[0].Metadata.Name) != v1.PhasePending {
		t.Errorf("paused: current %v, waiting %q, first %s; want none started, saying why", st.CurrentPromotion, st.Waiting, phase(ps[0].Metadata.Name))
	}

	if err := w.Stage(ctx, "demo", "dev", stage.Resume); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second time starts nothing more
		if err := q.StartNext(ctx, "demo", "dev"); err != nil {
			t.Fatal(err)
		}
	}
	st := status()
	if st.CurrentPromotion == nil || st.CurrentPromotion.Name != ps[0].Metadata.Name || len(st.Queued) != 1 || st.Waiting != "" ||
		phase(ps[0].Metadata.Name) != v1.PhaseRunning || phase(ps[1].Metadata.Name) != v1.PhasePending {
		t.Errorf("resumed: current %v, queued %v, waiting %q; want the oldest Running, the other queued Pending", st.CurrentPromotion, st.Queued, st.Waiting)
	}

	if _, _, err := w.Promotion(ctx, bus.Key("demo", ps[0].Metadata.Name), func(p *v1.Promotion) bool {
		return promotion.End(p, v1.PhaseSucceeded, "", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if err := q.Release(ctx, "demo", "dev", ps[0].Metadata.Name); err != nil {
		t.Fatal(err)
	}
	if err := q.StartNext(ctx, "demo", "dev"); err != nil {
		t.Fatal(err)
	}
	if st := status(); st.CurrentPromotion == nil || st.CurrentPromotion.Name != ps[1].Metadata.Name || len(st.Queued) != 0 || phase(ps[1].Metadata.Name) != v1.PhaseRunning {
		t.Errorf("after the first was released: current %v, queued %v; want the second Running", st.CurrentPromotion, st.Queued)
	}
}
