package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one message. Returning nil acks it; returning an error puts it back for
// redelivery after a delay that grows with the delivery count. A handler that acks, naks or
// terminates the message itself should return ErrHandled.
type Handler func(ctx context.Context, msg jetstream.Msg) error

// ErrHandled tells Consume that the handler already acknowledged the message.
var ErrHandled = errors.New("message handled")

// ConsumerOptions configures Consume.
type ConsumerOptions struct {
	// Stream and Durable name the consumer; Filter narrows its subjects.
	Stream, Durable string
	Filters         []string
	// Workers is how many messages are handled at once. Default 1 (in order).
	Workers int
	// AckWait is how long a message may go unacknowledged before redelivery, so how soon a
	// crashed process's messages go to another. Consume tells JetStream a handler still works
	// on its message every AckWait/3, so a handler may run much longer. Default
	// DefaultAckWait.
	AckWait time.Duration
	// NoBuffer makes each worker pull a message only when it is free, so no message waits in a
	// local buffer while its AckWait runs out (and is delivered again, counting towards
	// MaxDeliver). For handlers that run long, as executors' steps do; it costs a request per
	// message. Default false: messages are prefetched.
	NoBuffer bool
	// MaxDeliver bounds deliveries; -1 is unbounded. Default -1.
	MaxDeliver int
}

// DefaultAckWait is the AckWait of a consumer that sets none: a crashed process's messages are
// delivered again this soon.
const DefaultAckWait = 6 * time.Second

// Consume creates or updates the durable consumer and handles its messages until ctx ends.
// Handlers get ctx; when it is cancelled mid-message the message is neither acked nor naked,
// so it is redelivered after AckWait, as after a crash.
func (b *Bus) Consume(ctx context.Context, log *slog.Logger, o ConsumerOptions, h Handler) error {
	workers := max(o.Workers, 1)
	ackWait := o.AckWait
	if ackWait <= 0 {
		ackWait = DefaultAckWait
	}
	maxDeliver := o.MaxDeliver
	if maxDeliver == 0 {
		maxDeliver = -1
	}
	cfg := jetstream.ConsumerConfig{
		Durable:        o.Durable,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ackWait,
		MaxDeliver:     maxDeliver,
		MaxAckPending:  max(workers*4, 64),
		FilterSubjects: o.Filters,
	}
	cctx, cancel := b.withTimeout(ctx)
	cons, err := b.JS.CreateOrUpdateConsumer(cctx, o.Stream, cfg)
	cancel()
	if err != nil {
		return fmt.Errorf("declare consumer %s on %s: %w", o.Durable, o.Stream, err)
	}
	for {
		err := consume(ctx, log, cons, o, workers, ackWait, h)
		if ctx.Err() != nil {
			return nil
		}
		// The server ended the consumer's message stream — it answers "consumer deleted" when
		// the consumer is lost with a node, or deleted — and it would deliver nothing more:
		// declare it again and go on, rather than idle for good.
		log.Warn("consumer stopped; declaring it again", "consumer", o.Durable, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
		if err := b.Retry(ctx, func(ctx context.Context) (err error) {
			cons, err = b.JS.CreateOrUpdateConsumer(ctx, o.Stream, cfg)
			return err
		}); err != nil && ctx.Err() == nil {
			log.Warn("consumer not declared again; trying again", "consumer", o.Durable, "err", err)
		}
	}
}

// consume handles cons's messages with workers until ctx ends or the server ends the stream
// of messages, and returns why.
func consume(ctx context.Context, log *slog.Logger, cons jetstream.Consumer, o ConsumerOptions, workers int, ackWait time.Duration, h Handler) error {
	next := func() (jetstream.Msg, error) { return pullOne(ctx, log, cons, o.Durable) }
	if !o.NoBuffer {
		msgs, err := cons.Messages(jetstream.PullMaxMessages(workers * 2))
		if err != nil {
			return fmt.Errorf("consume %s: %w", o.Durable, err)
		}
		stopped := make(chan struct{})
		defer close(stopped)
		go func() {
			select {
			case <-ctx.Done():
			case <-stopped:
			}
			msgs.Stop()
		}()
		next = func() (jetstream.Msg, error) { return msgs.Next() }
	}
	var (
		wg    sync.WaitGroup
		once  sync.Once
		cause error
	)
	for range workers {
		wg.Go(func() {
			for {
				msg, err := next()
				if err != nil {
					once.Do(func() { cause = err })
					return // stopped
				}
				stop := heartbeat(msg, ackWait)
				handle(ctx, log, h, msg)
				stop()
			}
		})
	}
	wg.Wait()
	return cause
}

// pullOne waits for one message of cons, pulling again after a pull that found none or
// failed, until ctx ends.
func pullOne(ctx context.Context, log *slog.Logger, cons jetstream.Consumer, durable string) (jetstream.Msg, error) {
	for {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		msg, err := cons.Next(jetstream.FetchContext(pctx))
		cancel()
		switch {
		case err == nil:
			return msg, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			continue // nothing to do yet
		}
		log.Warn("pull failed; pulling again", "consumer", durable, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// heartbeat tells JetStream every ackWait/3 that msg is still being handled, so a handler may
// run longer than ackWait while a crashed process's message is redelivered within ackWait.
// The returned func stops it.
func heartbeat(msg jetstream.Msg, ackWait time.Duration) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		t       *time.Timer
	)
	mu.Lock()
	defer mu.Unlock()
	t = time.AfterFunc(ackWait/3, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		_ = msg.InProgress()
		t.Reset(ackWait / 3)
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}

func handle(ctx context.Context, log *slog.Logger, h Handler, msg jetstream.Msg) {
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("handler panicked", "subject", msg.Subject(), "panic", r, "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return h(ctx, msg)
	}()
	switch {
	case ctx.Err() != nil:
		// Shutting down: leave the message for redelivery.
	case err == nil:
		if aerr := msg.Ack(); aerr != nil {
			log.Warn("ack failed", "subject", msg.Subject(), "err", aerr)
		}
	case errors.Is(err, ErrHandled):
	default:
		n := uint64(1)
		if md, merr := msg.Metadata(); merr == nil {
			n = md.NumDelivered
		}
		delay := min(time.Duration(1<<min(n, 6))*100*time.Millisecond, 10*time.Second)
		log.Warn("message will be retried", "subject", msg.Subject(), "delivery", n, "retry_in", delay, "err", err)
		_ = msg.NakWithDelay(delay)
	}
}
