package bus_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestEventOnTheBusIsACloudEvent: an event as stored in DRAY_EVENTS decodes with the
// CloudEvents Go SDK and validates, with its attributes and data as published; DecodeEvent
// gives back what was published.
func TestEventOnTheBusIsACloudEvent(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	ctx := t.Context()
	data := v1.PromotionEvent{Project: "demo", Stage: "dev", Promotion: "p", Phase: v1.PhaseSucceeded}
	if err := b.PublishEvent(ctx, "demo", v1.TypePromotionSucceeded, "p/succeeded", "promotion/p", data); err != nil {
		t.Fatalf("PublishEvent() = %v", err)
	}
	s, err := b.JS.Stream(ctx, bus.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetLastMsgForSubject(ctx, "dray.events.demo.promotion.succeeded")
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		t.Fatalf("the SDK does not decode %s: %v", msg.Data, err)
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("the SDK finds %s invalid: %v", msg.Data, err)
	}
	got := []string{e.SpecVersion(), e.ID(), e.Source(), e.Type(), e.Subject(), e.DataContentType()}
	want := []string{"1.0", "p/succeeded", "dray", v1.TypePromotionSucceeded, "promotion/p", "application/json"}
	if diff := cmp.Diff(want, got); diff != "" || e.Time().IsZero() {
		t.Errorf("attributes (-want +got):\n%s\ntime %v", diff, e.Time())
	}
	var gotData v1.PromotionEvent
	if err := e.DataAs(&gotData); err != nil || !cmp.Equal(data, gotData) {
		t.Errorf("DataAs() = %+v, %v; want %+v", gotData, err, data)
	}
	for _, key := range []string{`"specversion":"1.0"`, `"id":"p/succeeded"`, `"source":"dray"`, `"subject":"promotion/p"`, `"datacontenttype":"application/json"`, `"data":{`} {
		if !strings.Contains(string(msg.Data), key) {
			t.Errorf("structured JSON %s lacks %s", msg.Data, key)
		}
	}
	decoded, err := bus.DecodeEvent(msg.Data)
	if err != nil {
		t.Fatalf("DecodeEvent() = %v", err)
	}
	var plain v1.Event
	if err := json.Unmarshal(msg.Data, &plain); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plain, *decoded); diff != "" {
		t.Errorf("DecodeEvent() (-plain JSON +SDK):\n%s", diff)
	}
}

// TestInvalidEvents: an event without an id or a type is not built, and an envelope that
// is not a valid CloudEvent does not decode; each error says which attribute.
func TestInvalidEvents(t *testing.T) {
	for _, tt := range []struct{ eventType, id, want string }{
		{v1.TypePromotionSucceeded, "", "id"},
		{"", "p/x", "type"},
	} {
		if _, err := bus.NewEvent(tt.eventType, tt.id, "promotion/p", struct{}{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewEvent(%q, %q) = %v, want an error naming %s", tt.eventType, tt.id, err, tt.want)
		}
	}
	for _, tt := range []struct{ name, doc, want string }{
		{"no type", `{"specversion":"1.0","id":"a","source":"dray","data":{}}`, "type"},
		{"no source", `{"specversion":"1.0","id":"a","type":"dev.dray.x","data":{}}`, "source"},
		{"no specversion", `{"id":"a","source":"dray","type":"dev.dray.x"}`, "specversion"},
		{"not JSON", `{"id":`, "decode"},
	} {
		if _, err := bus.DecodeEvent([]byte(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeEvent(%s) = %v, want an error naming %s", tt.name, err, tt.want)
		}
	}
}
