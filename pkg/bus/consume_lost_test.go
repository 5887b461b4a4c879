package bus_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestConsumeDeclaresLostConsumerAgain: when the server ends a consumer's messages because the
// consumer went away (it answers "consumer deleted", as when the consumer is lost with a node
// of a cluster), Consume declares it again and handles later messages, rather than idle
// forever while its service looks healthy.
func TestConsumeDeclaresLostConsumerAgain(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	r := newRecorder()
	consume(t, b, bus.ConsumerOptions{Stream: bus.StreamCommands, Durable: "test", Workers: 2}, func(ctx context.Context, msg jetstream.Msg) error {
		r.record(msg)
		return nil
	})
	if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), "a", "a"); err != nil {
		t.Fatal(err)
	}
	r.next(t, 1)
	if err := b.JS.DeleteConsumer(t.Context(), bus.StreamCommands, "test"); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(t.Context(), bus.CommandSubject("demo", "promote"), "b", "b"); err != nil {
		t.Fatal(err)
	}
	// The consumer declared again may deliver a again (at least once), if it was deleted
	// before a's ack removed it; b must come.
	for {
		if got := r.next(t, 1); got[0].Data == `"b"` {
			break
		}
	}
}
