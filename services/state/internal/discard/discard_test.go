package discard_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/timer"
	"github.com/drayhq/dray/services/state/internal/discard"
	"github.com/drayhq/dray/services/state/internal/records"
)

// TestDiscard: when a Stage's window is closed, its queued Promotion is ended Aborted, taken
// out of the queue and announced with promotion.discarded, unless the window keeps pending
// Promotions; a Promotion that started meanwhile runs on; with nothing queued, Arm sets no
// timer.
func TestDiscard(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "discarded", true: "keepPending"}[keep], func(t *testing.T) {
			ctx := t.Context()
			b := bustest.Start(t).Connect(t)
			log := slog.New(slog.DiscardHandler)
			w := records.New(b, log, nil)
			timers := &timer.Set{}
			d := &discard.Discarder{Bus: b, Log: log, Records: w, Timers: timers}
			put := func(kv string, key string, v any) {
				t.Helper()
				data, _ := json.Marshal(v)
				var err error
				switch kv {
				case "resources":
					_, err = b.Resources.Put(ctx, key, data)
				case "promotions":
					_, err = b.Promotions.Put(ctx, key, data)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			freeze := v1.PromotionWindow{Name: "freeze", Kind: "Deny", DTStart: "20200101T000000Z", DTEnd: "20990101T000000Z", KeepPending: keep}
			put("resources", bus.ResourceKey("demo", v1.KindStage, "dev"), v1.Stage{Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"},
				Spec: v1.StageSpec{PromotionWindows: []v1.PromotionWindow{freeze}}})

			if err := d.Arm(ctx, "demo", "dev"); err != nil || timers.Len() != 0 {
				t.Fatalf("Arm with nothing queued = %v, %d timers; want none", err, timers.Len())
			}
			queued, running := "dev.01a.abc", "dev.01b.def"
			put("promotions", bus.Key("demo", queued), v1.Promotion{Metadata: v1.ObjectMeta{Name: queued, Namespace: "demo"},
				Spec: v1.PromotionSpec{Stage: "dev", Freight: "abc"}, Status: v1.PromotionStatus{Phase: v1.PhasePending}})
			put("promotions", bus.Key("demo", running), v1.Promotion{Metadata: v1.ObjectMeta{Name: running, Namespace: "demo"},
				Spec: v1.PromotionSpec{Stage: "dev", Freight: "def"}, Status: v1.PromotionStatus{Phase: v1.PhaseRunning}})
			if err := w.Stage(ctx, "demo", "dev", func(st *v1.StageStatus) bool {
				st.Queued = []v1.PromotionReference{{Name: queued, Freight: "abc"}, {Name: running, Freight: "def"}}
				return true
			}); err != nil {
				t.Fatal(err)
			}

			if err := d.Discard(ctx, "demo", "dev"); err != nil {
				t.Fatal(err)
			}
			var p v1.Promotion
			if _, err := b.GetJSON(ctx, b.Promotions, bus.Key("demo", queued), &p); err != nil {
				t.Fatal(err)
			}
			var st v1.StageStatus
			if _, err := b.GetJSON(ctx, b.Stages, bus.Key("demo", "dev"), &st); err != nil {
				t.Fatal(err)
			}
			stream, err := b.JS.Stream(ctx, bus.StreamEvents)
			if err != nil {
				t.Fatal(err)
			}
			_, err = stream.GetLastMsgForSubject(ctx, bus.EventSubject("demo", v1.TypePromotionDiscarded))
			announced := err == nil
			var r v1.Promotion
			if _, err := b.GetJSON(ctx, b.Promotions, bus.Key("demo", running), &r); err != nil {
				t.Fatal(err)
			}
			if r.Status.Phase != v1.PhaseRunning {
				t.Errorf("the Promotion that had started is %s; want it Running on", r.Status.Phase)
			}
			if keep {
				if p.Status.Phase != v1.PhasePending || len(st.Queued) != 2 || announced {
					t.Errorf("keepPending: queued one %s, %d queued, announced %v; want it Pending and queued, nothing announced", p.Status.Phase, len(st.Queued), announced)
				}
				return
			}
			if p.Status.Phase != v1.PhaseAborted || !strings.Contains(p.Status.Message, "windows closed") || !announced ||
				len(st.Queued) != 1 || st.Queued[0].Name != running {
				t.Errorf("queued one %s %q, queue %v, announced %v; want it Aborted saying the windows closed, out of the queue, announced",
					p.Status.Phase, p.Status.Message, st.Queued, announced)
			}
		})
	}
}
