package announce_test

import (
	"encoding/json"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/services/state/internal/announce"
)

// TestEnded: a finished Promotion is announced with its phase's event type, the ID
// <promotion>/<phase word> and what the Promotion says; announcing it again stores nothing
// new (the ID deduplicates a redelivered record's event).
func TestEnded(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	p := &v1.Promotion{Metadata: v1.ObjectMeta{Name: "dev.01j.abc", Namespace: "demo"}, Spec: v1.PromotionSpec{Stage: "dev", Freight: "abc"},
		Status: v1.PromotionStatus{Phase: v1.PhaseFailed, Message: "step 2 failed"}}
	for range 2 {
		if err := announce.Ended(ctx, b, p); err != nil {
			t.Fatal(err)
		}
	}
	stream, err := b.JS.Stream(ctx, bus.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, bus.EventSubject("demo", v1.TypePromotionFailed))
	if err != nil {
		t.Fatalf("no %s event: %v", v1.TypePromotionFailed, err)
	}
	var e v1.Event
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		t.Fatal(err)
	}
	var data v1.PromotionEvent
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	if e.ID != "dev.01j.abc/failed" || data.Stage != "dev" || data.Freight != "abc" || data.Phase != v1.PhaseFailed || data.Message != "step 2 failed" {
		t.Errorf("event %q with %+v; want ID dev.01j.abc/failed about dev, abc, Failed, step 2 failed", e.ID, data)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Errorf("%d events stored after announcing twice; want 1", info.State.Msgs)
	}
}
