package bus_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestConsumeHeartbeatKeepsLongHandler runs a handler three times longer than AckWait while
// a second consumer of the same durable waits: the message is delivered once.
func TestConsumeHeartbeatKeepsLongHandler(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	var handled atomic.Int32
	h := func(ctx context.Context, msg jetstream.Msg) error {
		handled.Add(1)
		time.Sleep(3 * time.Second)
		return nil
	}
	o := bus.ConsumerOptions{Stream: bus.StreamCommands, Durable: "test", AckWait: time.Second}
	consume(t, b, o, h)
	consume(t, b, o, h)
	if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), "long", "long"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the work queue to empty", func() (bool, error) {
		return streamMsgs(t, b, bus.StreamCommands) == 0, nil
	})
	if got := handled.Load(); got != 1 {
		t.Errorf("the message was handled %d times, want 1: a running handler lost it", got)
	}
}

// TestConsumeResumesSoonAfterCrash stops a consumer mid-message, as a crash would, with the
// default AckWait: another consumer gets the message within seconds, not after 30s.
func TestConsumeResumesSoonAfterCrash(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	o := bus.ConsumerOptions{Stream: bus.StreamCommands, Durable: "test"}
	got := make(chan struct{})
	ctx, crash := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(ctx, slog.New(slog.DiscardHandler), o, func(ctx context.Context, msg jetstream.Msg) error {
			close(got)
			<-ctx.Done() // the process dies mid-message
			return ctx.Err()
		})
	}()
	if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), "work", "work"); err != nil {
		t.Fatal(err)
	}
	<-got
	crash()
	<-done
	r := newRecorder()
	consume(t, b, o, func(ctx context.Context, msg jetstream.Msg) error {
		r.record(msg)
		return nil
	})
	if d := r.next(t, 1)[0]; d.N != 2 { // next waits at most 10s
		t.Errorf("redelivery = %+v, want the second delivery", d)
	}
}
