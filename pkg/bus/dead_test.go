package bus_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// deadLetters reads every record on DRAY_DEAD.
func deadLetters(t *testing.T, b *bus.Bus) []v1.DeadLetter {
	t.Helper()
	cons, err := b.JS.OrderedConsumer(t.Context(), bus.StreamDead, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.DeadLetter
	for n := int(info.NumPending); n > 0; {
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for msg := range batch.Messages() {
			var d v1.DeadLetter
			if err := json.Unmarshal(msg.Data(), &d); err != nil {
				t.Fatalf("decode dead letter on %s: %v", msg.Subject(), err)
			}
			if want := bus.DeadSubject(d.Stream, d.Consumer); msg.Subject() != want {
				t.Errorf("dead letter on %s, want %s", msg.Subject(), want)
			}
			out = append(out, d)
			n--
		}
	}
	return out
}

// ignoreVolatile leaves out of comparisons what a test cannot know.
var ignoreVolatile = cmpopts.IgnoreFields(v1.DeadLetter{}, "Sequence", "At")

// TestConsumePoisonIsDeadLettered: a message the handler poisons is delivered once, never
// again, and recorded on DRAY_DEAD with its subject, reason, headers and the start of its
// payload; the counter counts it; later messages flow.
func TestConsumePoisonIsDeadLettered(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	reg := prometheus.NewRegistry()
	r := newRecorder()
	consume(t, b, bus.ConsumerOptions{Stream: bus.StreamCommands, Durable: "test", Metrics: reg}, func(ctx context.Context, msg jetstream.Msg) error {
		r.record(msg)
		if strings.HasPrefix(string(msg.Data()), `"bad`) {
			return bus.Poison(bus.ReasonInvalid, errors.New("stage: invalid name"))
		}
		return nil
	})
	big := "bad" + strings.Repeat("x", 10_000)
	for _, v := range []string{"bad", big, "good"} {
		if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), v[:min(len(v), 8)], v); err != nil {
			t.Fatal(err)
		}
	}
	got := r.next(t, 3)
	waitFor(t, "the work queue to empty", func() (bool, error) {
		return streamMsgs(t, b, bus.StreamCommands) == 0, nil
	})
	select {
	case d := <-r.ch:
		t.Fatalf("delivered again after %v: %v", got, d)
	case <-time.After(500 * time.Millisecond):
	}
	bigJSON, _ := json.Marshal(big)
	want := []v1.DeadLetter{
		{Stream: bus.StreamCommands, Subject: "dray.cmd.demo.promote", Consumer: "test", Reason: bus.ReasonInvalid,
			Message: "stage: invalid name", Deliveries: 1, Headers: map[string][]string{bus.HeaderMsgID: {"bad"}},
			Data: []byte(`"bad"`), Size: 5},
		{Stream: bus.StreamCommands, Subject: "dray.cmd.demo.promote", Consumer: "test", Reason: bus.ReasonInvalid,
			Message: "stage: invalid name", Deliveries: 1, Headers: map[string][]string{bus.HeaderMsgID: {"badxxxxx"}},
			Data: bigJSON[:bus.MaxDeadData], Size: len(bigJSON)},
	}
	if diff := cmp.Diff(want, deadLetters(t, b), ignoreVolatile); diff != "" {
		t.Errorf("dead letters (-want +got):\n%s", diff)
	}
	if n := testutil.ToFloat64(deadCounter(t, reg, "test", bus.ReasonInvalid)); n != 2 {
		t.Errorf("dray_messages_dead_total{consumer=test,reason=Invalid} = %v, want 2", n)
	}
}

// deadCounter finds dray_messages_dead_total's series in reg.
func deadCounter(t *testing.T, reg *prometheus.Registry, consumer, reason string) prometheus.Collector {
	t.Helper()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dray_messages_dead_total",
		Help: "Messages a consumer terminated and recorded on DRAY_DEAD, by consumer and reason."}, []string{"consumer", "reason"})
	var are prometheus.AlreadyRegisteredError
	if err := reg.Register(c); !errors.As(err, &are) {
		t.Fatalf("dray_messages_dead_total is not registered: %v", err)
	}
	return are.ExistingCollector.(*prometheus.CounterVec).WithLabelValues(consumer, reason)
}

// TestConsumeDeadLettersAfterMaxDeliver: a message whose handler always fails is retried
// MaxDeliver times, then dead-lettered with its last error; one that panics every time too.
func TestConsumeDeadLettersAfterMaxDeliver(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	reg := prometheus.NewRegistry()
	r := newRecorder()
	consume(t, b, bus.ConsumerOptions{Stream: bus.StreamCommands, Durable: "test", MaxDeliver: 3,
		Backoff: []time.Duration{10 * time.Millisecond}, Metrics: reg}, func(ctx context.Context, msg jetstream.Msg) error {
		d := r.record(msg)
		if d.Data == `"panics"` {
			panic("handler bug")
		}
		return errors.New("store unreachable, try " + string(rune('0'+d.N)))
	})
	for _, v := range []string{"fails", "panics"} {
		if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), v, v); err != nil {
			t.Fatal(err)
		}
	}
	got := r.next(t, 6)
	if len(got) != 6 {
		t.Fatalf("deliveries = %v", got)
	}
	waitFor(t, "the work queue to empty", func() (bool, error) {
		return streamMsgs(t, b, bus.StreamCommands) == 0, nil
	})
	dead := deadLetters(t, b)
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2: %+v", len(dead), dead)
	}
	byData := map[string]v1.DeadLetter{}
	for _, d := range dead {
		byData[string(d.Data)] = d
	}
	if d := byData[`"fails"`]; d.Reason != bus.ReasonMaxDeliveries || d.Deliveries != 3 || d.Message != "store unreachable, try 3" {
		t.Errorf("dead letter of the failing message = %+v, want reason MaxDeliveries after 3 deliveries with the last error", d)
	}
	if d := byData[`"panics"`]; d.Reason != bus.ReasonPanicked || d.Deliveries != 3 || !strings.Contains(d.Message, "handler bug") {
		t.Errorf("dead letter of the panicking message = %+v, want reason Panicked after 3 deliveries", d)
	}
	if n := testutil.ToFloat64(deadCounter(t, reg, "test", bus.ReasonMaxDeliveries)); n != 1 {
		t.Errorf("dray_messages_dead_total{reason=MaxDeliveries} = %v, want 1", n)
	}
}

// TestPublishRefusesBadSubjects: a subject or ID that NATS would reject, or choke on by
// closing the connection for good, is refused before anything is sent, and the connection
// keeps working.
func TestPublishRefusesBadSubjects(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	long := strings.Repeat("x", 5000)
	cases := []struct{ name, subject, id string }{
		{"5,000-byte token", bus.CommandSubject(long, "promote"), "a"},
		{"just over the bound", "dray.cmd." + strings.Repeat("x", bus.MaxSubject), "a"},
		{"empty", "", "a"},
		{"wildcard", bus.CommandSubject("*", "promote"), "a"},
		{"tail wildcard", "dray.cmd.>", "a"},
		{"space", bus.CommandSubject("a b", "promote"), "a"},
		{"empty token", bus.CommandSubject("", "promote"), "a"},
		{"NUL", bus.CommandSubject("a\x00b", "promote"), "a"},
		{"line break in ID", bus.CommandSubject("demo", "promote"), "a\r\nNats-Expected-Stream: X"},
		{"5,000-byte ID", bus.CommandSubject("demo", "promote"), long},
		{"empty ID", bus.CommandSubject("demo", "promote"), ""},
	}
	for _, c := range cases {
		err := b.Publish(t.Context(), c.subject, c.id, "x")
		if !errors.Is(err, bus.ErrInvalidSubject) {
			t.Errorf("%s: Publish() = %v, want ErrInvalidSubject", c.name, err)
		}
		if err != nil && len(err.Error()) > 300 {
			t.Errorf("%s: error is %d bytes long", c.name, len(err.Error()))
		}
	}
	var v any
	if _, err := b.GetJSON(t.Context(), b.Stages, bus.Key("demo", long), &v); !errors.Is(err, bus.ErrInvalidSubject) {
		t.Errorf("GetJSON(5,000-byte key) = %v, want ErrInvalidSubject", err)
	}
	if !b.Conn.IsConnected() {
		t.Fatalf("connection %s after the refused publishes: %v", b.Conn.Status(), b.Conn.LastError())
	}
	if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), "after", "x"); err != nil {
		t.Errorf("Publish() after the refused ones = %v", err)
	}
	if got := streamMsgs(t, b, bus.StreamCommands); got != 1 {
		t.Errorf("DRAY_COMMANDS holds %d messages, want 1", got)
	}
}
