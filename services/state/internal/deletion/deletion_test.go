package deletion_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/services/state/internal/deletion"
	"github.com/drayhq/dray/services/state/internal/metrics"
	"github.com/drayhq/dray/services/state/internal/records"
)

// TestStage: deleting a Stage drops its status, aborts its running Promotion (announced) and
// deletes its Promotions, and forgets the Stage in its Freight's status, leaving other
// Stages' Promotions and mentions alone; a Stage applied again before the record is kept.
func TestStage(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	log := slog.New(slog.DiscardHandler)
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	d := &deletion.Deleter{Bus: b, Log: log, Records: records.New(b, log, nil), Metrics: m}
	put := func(kv jetstream.KeyValue, key string, v any) {
		t.Helper()
		data, _ := json.Marshal(v)
		if _, err := kv.Put(ctx, key, data); err != nil {
			t.Fatal(err)
		}
	}
	promo := func(name, stage, phase string) {
		put(b.Promotions, bus.Key("demo", name), v1.Promotion{Metadata: v1.ObjectMeta{Name: name, Namespace: "demo"},
			Spec: v1.PromotionSpec{Stage: stage, Freight: "abc"}, Status: v1.PromotionStatus{Phase: phase}})
	}
	promo("dev.01a.abc", "dev", v1.PhaseSucceeded)
	promo("dev.01b.abc", "dev", v1.PhaseRunning)
	promo("prod.01c.abc", "prod", v1.PhaseRunning)
	put(b.Stages, bus.Key("demo", "dev"), v1.StageStatus{Queued: []v1.PromotionReference{{Name: "dev.01b.abc"}}})
	put(b.Freight, bus.Key("demo", "abc"), v1.Freight{Metadata: v1.ObjectMeta{Name: "abc", Namespace: "demo"}, Status: v1.FreightStatus{
		CurrentlyIn: map[string]v1.CurrentStage{"dev": {}, "prod": {}},
		VerifiedIn:  map[string]v1.VerifiedStage{"dev": {}},
	}})
	dev := bus.ResourceKey("demo", v1.KindStage, "dev")
	put(b.Resources, dev, v1.Stage{Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"}})
	r := &v1.StageRecord{Op: v1.StageDelete, Project: "demo", Stage: "dev", Actor: "alice"}

	if err := d.Stage(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stages.Get(ctx, bus.Key("demo", "dev")); err != nil {
		t.Errorf("a Stage applied again lost its status: %v", err)
	}

	if err := b.Resources.Purge(ctx, dev); err != nil {
		t.Fatal(err)
	}
	stream, err := b.JS.Stream(ctx, bus.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // redelivered: done once
		if err := d.Stage(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Stages.Get(ctx, bus.Key("demo", "dev")); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("status of the deleted Stage: %v; want gone", err)
	}
	for _, name := range []string{"dev.01a.abc", "dev.01b.abc"} {
		if _, err := b.Promotions.Get(ctx, bus.Key("demo", name)); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("promotion %s: %v; want deleted", name, err)
		}
	}
	if _, err := b.Promotions.Get(ctx, bus.Key("demo", "prod.01c.abc")); err != nil {
		t.Errorf("another Stage's Promotion: %v; want kept", err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, bus.EventSubject("demo", v1.TypePromotionAborted))
	if err != nil {
		t.Fatalf("no %s event: %v", v1.TypePromotionAborted, err)
	}
	var e v1.Event
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		t.Fatal(err)
	}
	if e.ID != "dev.01b.abc/aborted" {
		t.Errorf("aborted event %q; want the running one's, dev.01b.abc/aborted", e.ID)
	}
	var f v1.Freight
	if _, err := b.GetJSON(ctx, b.Freight, bus.Key("demo", "abc"), &f); err != nil {
		t.Fatal(err)
	}
	_, inDev := f.Status.CurrentlyIn["dev"]
	_, verifiedDev := f.Status.VerifiedIn["dev"]
	_, inProd := f.Status.CurrentlyIn["prod"]
	if inDev || verifiedDev || !inProd {
		t.Errorf("freight status %+v; want dev forgotten, prod kept", f.Status)
	}
}
