package verdict_test

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/services/state/internal/records"
	"github.com/drayhq/dray/services/state/internal/verdict"
)

// TestVerdicts: an approval, a rejection and its undoing each change the Freight's status
// and are announced; a repeated approval is announced with the same event ID; a verdict on
// a Freight that does not exist changes nothing and announces nothing.
func TestVerdicts(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	log := slog.New(slog.DiscardHandler)
	v := &verdict.Recorder{Bus: b, Log: log, Records: records.New(b, log, nil)}
	data, _ := json.Marshal(v1.Freight{Metadata: v1.ObjectMeta{Name: "abc", Namespace: "demo"}, Alias: "happy-cat"})
	if _, err := b.Freight.Create(ctx, bus.Key("demo", "abc"), data); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	freight := func() v1.FreightStatus {
		t.Helper()
		var f v1.Freight
		if _, err := b.GetJSON(ctx, b.Freight, bus.Key("demo", "abc"), &f); err != nil {
			t.Fatal(err)
		}
		return f.Status
	}
	last := func(eventType string) *v1.Event {
		t.Helper()
		stream, err := b.JS.Stream(ctx, bus.StreamEvents)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := stream.GetLastMsgForSubject(ctx, bus.EventSubject("demo", eventType))
		if err != nil {
			return nil
		}
		var e v1.Event
		if err := json.Unmarshal(msg.Data, &e); err != nil {
			t.Fatal(err)
		}
		return &e
	}

	approve := &v1.FreightRecord{Op: v1.FreightApprove, Project: "demo", Freight: "abc", Stage: "prod", Actor: "alice", Reason: "tested", At: &at}
	if err := v.Approve(ctx, approve); err != nil {
		t.Fatal(err)
	}
	if a, ok := freight().ApprovedFor["prod"]; !ok || a.By != "alice" {
		t.Errorf("ApprovedFor[prod] = %+v, %v; want approved by alice", a, ok)
	}
	first := last(v1.TypeFreightApproved)
	if first == nil {
		t.Fatal("no freight.approved event")
	}
	if err := v.Approve(ctx, approve); err != nil {
		t.Fatal(err)
	}
	if again := last(v1.TypeFreightApproved); again == nil || again.ID != first.ID {
		t.Errorf("a repeated approval was announced as %+v, want the same ID %s", again, first.ID)
	}

	if err := v.Reject(ctx, &v1.FreightRecord{Op: v1.FreightReject, Project: "demo", Freight: "abc", Stage: "prod", Actor: "bob", Reason: "broken", At: &at}); err != nil {
		t.Fatal(err)
	}
	if r, ok := freight().RejectedFor["prod"]; !ok || r.By != "bob" {
		t.Errorf("RejectedFor[prod] = %+v, %v; want rejected by bob", r, ok)
	}
	if last(v1.TypeFreightRejected) == nil {
		t.Error("no freight.rejected event")
	}
	if err := v.Reject(ctx, &v1.FreightRecord{Op: v1.FreightUnreject, Project: "demo", Freight: "abc", Stage: "prod", Actor: "bob", At: &at}); err != nil {
		t.Fatal(err)
	}
	if _, ok := freight().RejectedFor["prod"]; ok {
		t.Error("RejectedFor[prod] is still set after the rejection was taken back")
	}
	if last(v1.TypeFreightUnrejected) == nil {
		t.Error("no freight.unrejected event")
	}

	if err := v.Approve(ctx, &v1.FreightRecord{Op: v1.FreightApprove, Project: "demo", Freight: "gone", Stage: "prod", Actor: "alice"}); err != nil {
		t.Errorf("Approve(missing Freight) = %v, want nil", err)
	}
}
