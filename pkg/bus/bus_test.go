package bus_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 10s", what)
		}
		<-tick.C
	}
}

func streamMsgs(t *testing.T, b *bus.Bus, stream string) uint64 {
	t.Helper()
	s, err := b.JS.Stream(t.Context(), stream)
	if err != nil {
		t.Fatalf("Stream(%s) = %v", stream, err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatalf("Stream(%s).Info() = %v", stream, err)
	}
	return info.State.Msgs
}

func TestDeclareIsIdempotent(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	ctx := t.Context()
	if err := b.Publish(ctx, bus.CommandSubject("demo", "promote"), "cmd-1", map[string]string{"stage": "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Promotions.Put(ctx, bus.Key("demo", "p1"), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Workspaces.PutBytes(ctx, "p1/1", []byte("tree")); err != nil {
		t.Fatal(err)
	}

	// Another service starts, and this one declares again.
	other := ns.Connect(t)
	if err := bus.Declare(ctx, b.JS, bus.Options{}); err != nil {
		t.Fatalf("Declare() a second time = %v", err)
	}

	// What was stored is still there.
	if got := streamMsgs(t, other, bus.StreamCommands); got != 1 {
		t.Errorf("%s holds %d messages after Declare, want 1", bus.StreamCommands, got)
	}
	if _, err := other.Promotions.Get(ctx, bus.Key("demo", "p1")); err != nil {
		t.Errorf("Promotions.Get(demo.p1) after Declare = %v", err)
	}
	if got, err := other.Workspaces.GetBytes(ctx, "p1/1"); err != nil || string(got) != "tree" {
		t.Errorf("Workspaces.GetBytes(p1/1) after Declare = %q, %v; want %q", got, err, "tree")
	}
	for _, name := range []string{bus.StreamEvents, bus.StreamCommands, bus.StreamSteps, bus.StreamResults, bus.StreamAudit} {
		if _, err := other.JS.Stream(ctx, name); err != nil {
			t.Errorf("Stream(%s) = %v", name, err)
		}
	}
}

// TestDeclareUpdatesChangedSettings: a service started with other options changes the layout
// rather than failing or ignoring them.
func TestDeclareUpdatesChangedSettings(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	ctx := t.Context()
	if err := bus.Declare(ctx, b.JS, bus.Options{EventsMaxAge: time.Hour}); err != nil {
		t.Fatalf("Declare(EventsMaxAge: 1h) = %v", err)
	}
	s, err := b.JS.Stream(ctx, bus.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != time.Hour {
		t.Errorf("%s MaxAge after Declare(1h) = %v, want 1h", bus.StreamEvents, got)
	}
}

func TestPublishDeduplicates(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	ctx := t.Context()
	subject := bus.StepResultSubject("demo")
	first := &v1.StepResult{Promotion: "p", Step: 0, Attempt: 1, Status: v1.StepSucceeded}
	again := &v1.StepResult{Promotion: "p", Step: 0, Attempt: 1, Status: v1.StepErrored}
	for _, r := range []*v1.StepResult{first, again} {
		if err := b.Publish(ctx, subject, r.ID(), r); err != nil {
			t.Fatalf("Publish(%s) = %v", r.ID(), err)
		}
	}
	if got := streamMsgs(t, b, bus.StreamResults); got != 1 {
		t.Errorf("%s holds %d messages after publishing one ID twice, want 1", bus.StreamResults, got)
	}
	s, err := b.JS.Stream(ctx, bus.StreamResults)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetMsg(ctx, 1)
	if err != nil {
		t.Fatalf("GetMsg(1) = %v", err)
	}
	var got v1.StepResult
	if err := json.Unmarshal(msg.Data, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*first, got); diff != "" {
		t.Errorf("stored message (-want +got):\n%s", diff)
	}
	if id := msg.Header.Get(bus.HeaderMsgID); id != "p/0/1" {
		t.Errorf("stored %s = %q, want %q", bus.HeaderMsgID, id, "p/0/1")
	}

	second := &v1.StepResult{Promotion: "p", Step: 0, Attempt: 2}
	if err := b.Publish(ctx, subject, second.ID(), second); err != nil {
		t.Fatal(err)
	}
	if got := streamMsgs(t, b, bus.StreamResults); got != 2 {
		t.Errorf("%s holds %d messages after a second ID, want 2", bus.StreamResults, got)
	}
}

func TestPublishEvent(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	ctx := t.Context()
	data := v1.PromotionEvent{Project: "demo", Stage: "dev", Promotion: "p", Phase: v1.PhaseSucceeded}
	if err := b.PublishEvent(ctx, "demo", v1.TypePromotionSucceeded, "p/succeeded", "Promotion/p", data); err != nil {
		t.Fatalf("PublishEvent() = %v", err)
	}
	s, err := b.JS.Stream(ctx, bus.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetLastMsgForSubject(ctx, "dray.events.demo.promotion.succeeded")
	if err != nil {
		t.Fatalf("GetLastMsgForSubject() = %v", err)
	}
	var e v1.Event
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		t.Fatal(err)
	}
	var gotData v1.PromotionEvent
	if err := json.Unmarshal(e.Data, &gotData); err != nil {
		t.Fatal(err)
	}
	want := v1.Event{SpecVersion: "1.0", ID: "p/succeeded", Source: "dray", Type: v1.TypePromotionSucceeded, Subject: "Promotion/p", DataContentType: "application/json"}
	e.Time, e.Data = time.Time{}, nil
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("event envelope (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(data, gotData); diff != "" {
		t.Errorf("event data (-want +got):\n%s", diff)
	}
}

func TestGetJSON(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	ctx := t.Context()
	want := v1.Promotion{Metadata: v1.ObjectMeta{Name: "p", Namespace: "demo"}, Status: v1.PromotionStatus{Phase: v1.PhaseRunning}}
	raw, _ := json.Marshal(want)
	rev, err := b.Promotions.Put(ctx, bus.Key("demo", "p"), raw)
	if err != nil {
		t.Fatal(err)
	}
	var got v1.Promotion
	gotRev, err := b.GetJSON(ctx, b.Promotions, bus.Key("demo", "p"), &got)
	if err != nil || gotRev != rev {
		t.Fatalf("GetJSON(demo.p) = %d, %v; want %d", gotRev, err, rev)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetJSON(demo.p) (-want +got):\n%s", diff)
	}
	if _, err := b.GetJSON(ctx, b.Promotions, bus.Key("demo", "missing"), &got); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("GetJSON(demo.missing) = %v, want ErrKeyNotFound", err)
	}
}

// consume runs b.Consume until the test ends.
func consume(t *testing.T, b *bus.Bus, o bus.ConsumerOptions, h bus.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Consume(ctx, slog.New(slog.DiscardHandler), o, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Consume() = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Consume() did not return within 10s of its context ending")
		}
	})
}

// delivery is one handler call.
type delivery struct {
	Data string
	N    uint64 // delivery count
}

// recorder records deliveries and hands them to the test.
type recorder struct {
	ch chan delivery
}

func newRecorder() *recorder { return &recorder{ch: make(chan delivery, 100)} }

func (r *recorder) record(msg jetstream.Msg) delivery {
	d := delivery{Data: string(msg.Data())}
	if md, err := msg.Metadata(); err == nil {
		d.N = md.NumDelivered
	}
	r.ch <- d
	return d
}

// next waits for n deliveries.
func (r *recorder) next(t *testing.T, n int) []delivery {
	t.Helper()
	var got []delivery
	timeout := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case d := <-r.ch:
			got = append(got, d)
		case <-timeout:
			t.Fatalf("got %d deliveries %v within 10s, want %d", len(got), got, n)
		}
	}
	return got
}

func TestConsumeAcks(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	r := newRecorder()
	consume(t, b, bus.ConsumerOptions{Stream: bus.StreamCommands, Durable: "test", Filters: []string{"dray.cmd.>"}}, func(ctx context.Context, msg jetstream.Msg) error {
		r.record(msg)
		return nil
	})
	for _, id := range []string{"a", "b", "c"} {
		if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), id, id); err != nil {
			t.Fatal(err)
		}
	}
	got := r.next(t, 3)
	want := []delivery{{`"a"`, 1}, {`"b"`, 1}, {`"c"`, 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	waitFor(t, "the work queue to empty", func() (bool, error) {
		return streamMsgs(t, b, bus.StreamCommands) == 0, nil
	})
}

func TestConsumeRedeliversOnError(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	r := newRecorder()
	consume(t, b, bus.ConsumerOptions{Stream: bus.StreamCommands, Durable: "test"}, func(ctx context.Context, msg jetstream.Msg) error {
		if d := r.record(msg); d.N < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), "a", "a"); err != nil {
		t.Fatal(err)
	}
	got := r.next(t, 3)
	want := []delivery{{`"a"`, 1}, {`"a"`, 2}, {`"a"`, 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	waitFor(t, "the work queue to empty", func() (bool, error) {
		return streamMsgs(t, b, bus.StreamCommands) == 0, nil
	})
}

func TestConsumeSurvivesPanic(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	r := newRecorder()
	consume(t, b, bus.ConsumerOptions{Stream: bus.StreamCommands, Durable: "test"}, func(ctx context.Context, msg jetstream.Msg) error {
		if d := r.record(msg); d.Data == `"boom"` && d.N == 1 {
			panic("handler bug")
		}
		return nil
	})
	if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), "boom", "boom"); err != nil {
		t.Fatal(err)
	}
	if got := r.next(t, 1); got[0] != (delivery{`"boom"`, 1}) {
		t.Fatalf("first delivery = %v, want boom", got)
	}
	if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), "after", "after"); err != nil {
		t.Fatal(err)
	}
	got := r.next(t, 2)
	want := []delivery{{`"after"`, 1}, {`"boom"`, 2}}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b delivery) bool { return a.Data < b.Data })); diff != "" {
		t.Errorf("deliveries after the panic (-want +got):\n%s", diff)
	}
	waitFor(t, "the work queue to empty", func() (bool, error) {
		return streamMsgs(t, b, bus.StreamCommands) == 0, nil
	})
}

// TestAuditStream: the audit trail keeps records a year unless told otherwise, takes
// dray.audit.<project>.<verb>, and refuses deletes and purges.
func TestAuditStream(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	ctx := t.Context()
	s, err := b.JS.Stream(ctx, bus.StreamAudit)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != 365*24*time.Hour {
		t.Errorf("%s MaxAge = %v, want a year", bus.StreamAudit, got)
	}
	if err := b.Publish(ctx, bus.AuditSubject("", "create"), "audit-1", map[string]string{"verb": "create"}); err != nil {
		t.Fatalf("publish on %s: %v", bus.AuditSubject("", "create"), err)
	}
	if got := streamMsgs(t, b, bus.StreamAudit); got != 1 {
		t.Errorf("%s holds %d messages, want 1", bus.StreamAudit, got)
	}
	if err := s.Purge(ctx); err == nil {
		t.Errorf("Purge(%s) succeeded; the trail must refuse purges", bus.StreamAudit)
	}
	if err := bus.Declare(ctx, b.JS, bus.Options{AuditMaxAge: 30 * 24 * time.Hour}); err != nil {
		t.Fatalf("Declare(AuditMaxAge: 30d) = %v", err)
	}
	if s, err = b.JS.Stream(ctx, bus.StreamAudit); err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != 30*24*time.Hour {
		t.Errorf("%s MaxAge after Declare(30d) = %v, want 30 days", bus.StreamAudit, got)
	}
}
