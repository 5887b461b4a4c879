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
	"github.com/prometheus/client_golang/prometheus"
)

// Handler processes one message. Returning nil acks it; returning an error puts it back for
// redelivery after a delay that grows with the delivery count, until MaxDeliver is reached
// and the message is dead-lettered. A handler returns Poison(reason, err) for a message that
// can never be handled, which is dead-lettered at once. A handler that acks, naks or
// terminates the message itself should return ErrHandled.
type Handler func(ctx context.Context, msg jetstream.Msg) error

// ErrHandled tells Consume that the handler already acknowledged the message.
var ErrHandled = errors.New("message handled")

// DefaultMaxDeliver is how often Consume delivers a message whose handler keeps failing
// before it dead-letters it: with DefaultBackoff, about two and a half minutes of retries,
// long enough to ride out a NATS leader election or a restart.
const DefaultMaxDeliver = 20

// DefaultBackoff is the delay before each redelivery of a message whose handler failed: the
// n-th delivery's failure waits DefaultBackoff[min(n, len)-1].
var DefaultBackoff = []time.Duration{
	200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
	1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond, 10 * time.Second,
}

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
	// MaxDeliver bounds deliveries: a message whose handler fails on the last one is
	// dead-lettered with its last error. -1 is unbounded. Default DefaultMaxDeliver.
	MaxDeliver int
	// Backoff is the delay before each redelivery after a failure. Default DefaultBackoff.
	Backoff []time.Duration
	// Metrics receives the consumer's families (metrics.go): dray_messages_dead_total,
	// dray_messages_handled_total, dray_messages_redelivered_total, dray_messages_in_flight,
	// dray_message_handle_duration_seconds and the dray_nats_consumer_* gauges read from
	// JetStream at each scrape. Nil counts without registering.
	Metrics prometheus.Registerer
}

// DefaultAckWait is the AckWait of a consumer that sets none: a crashed process's messages are
// delivered again this soon.
const DefaultAckWait = 6 * time.Second

// Consume creates or updates the durable consumer and handles its messages until ctx ends.
// Handlers get ctx; when it is cancelled mid-message the message is neither acked nor naked,
// so it is redelivered after AckWait, as after a crash.
//
// A message the handler poisons (see Poison), or one it fails on the last delivery
// MaxDeliver allows, is terminated — never redelivered — recorded on DRAY_DEAD under
// dray.dead.<stream>.<durable>, and counted in dray_messages_dead_total. A panic in the
// handler counts as a failure.
func (b *Bus) Consume(ctx context.Context, log *slog.Logger, o ConsumerOptions, h Handler) error {
	workers := max(o.Workers, 1)
	ackWait := o.AckWait
	if ackWait <= 0 {
		ackWait = DefaultAckWait
	}
	maxDeliver := o.MaxDeliver
	if maxDeliver == 0 {
		maxDeliver = DefaultMaxDeliver
	}
	backoff := o.Backoff
	if len(backoff) == 0 {
		backoff = DefaultBackoff
	}
	m, err := newConsumerMetrics(o.Metrics)
	if err != nil {
		return err
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
	m.init(o.Durable)
	m.info.add(b.JS, o.Stream, o.Durable)
	defer m.info.remove(o.Stream, o.Durable)
	c := &consumer{bus: b, log: log, durable: o.Durable, maxDeliver: maxDeliver, backoff: backoff, m: m}
	for {
		err := consume(ctx, log, cons, o, workers, ackWait, c, h)
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
func consume(ctx context.Context, log *slog.Logger, cons jetstream.Consumer, o ConsumerOptions, workers int, ackWait time.Duration, c *consumer, h Handler) error {
	next := func() (jetstream.Msg, error) { return pullOne(ctx, log, cons, o.Durable) }
	if !o.NoBuffer {
		msgs, err := cons.Messages(jetstream.PullMaxMessages(workers*2), jetstream.WithMessagesErrOnMissingHeartbeat(false))
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
				if ctx.Err() != nil {
					return // stopped
				}
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) || consumerGone(err) {
					once.Do(func() { cause = err })
					return // the server ended the stream of messages: Consume declares it again
				}
				if err != nil {
					// A pull interrupted (a missed heartbeat, a reconnect) is re-issued by
					// the iterator; stopping here would leave the consumer dead while the
					// service looks alive.
					log.Warn("pulling messages failed; pulling again", "consumer", o.Durable, "err", err)
					select {
					case <-ctx.Done():
					case <-time.After(100 * time.Millisecond):
					}
					continue
				}
				stop := heartbeat(msg, ackWait)
				c.handle(ctx, h, msg)
				stop()
			}
		})
	}
	wg.Wait()
	return cause
}

// consumerGone reports whether err says the server lost or deleted the consumer, which then
// delivers nothing more until it is declared again.
func consumerGone(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound)
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
		case consumerGone(err):
			return nil, err // Consume declares it again
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

// consumer is what handling one message needs of Consume's settings.
type consumer struct {
	bus        *Bus
	log        *slog.Logger
	durable    string
	maxDeliver int
	backoff    []time.Duration
	m          *consumerMetrics
}

// errPanicked marks a handler that panicked.
var errPanicked = errors.New("handler panicked")

// handle runs h on msg in the trace the message carries (trace.go), counts it, and settles
// it by h's answer.
func (c *consumer) handle(ctx context.Context, h Handler, msg jetstream.Msg) {
	n := uint64(1)
	if md, merr := msg.Metadata(); merr == nil {
		n = md.NumDelivered
	}
	ctx, span := c.bus.startHandle(ctx, msg, c.durable, n)
	defer span.End()
	if n > 1 {
		c.m.redelivered.WithLabelValues(c.durable).Inc()
	}
	inFlight := c.m.inFlight.WithLabelValues(c.durable)
	inFlight.Inc()
	started := time.Now()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				c.log.ErrorContext(ctx, "handler panicked", "subject", msg.Subject(), "panic", r, "stack", string(debug.Stack()))
				err = fmt.Errorf("%w: %v", errPanicked, r)
			}
		}()
		return h(ctx, msg)
	}()
	inFlight.Dec()
	c.m.duration.WithLabelValues(c.durable).Observe(time.Since(started).Seconds())
	endSpan(span, err)
	var poison *PoisonError
	result := resultRetried
	switch {
	case ctx.Err() != nil:
		// Shutting down: leave the message for redelivery.
		return
	case err == nil:
		result = resultAcked
		if aerr := msg.Ack(); aerr != nil {
			c.log.WarnContext(ctx, "ack failed", "subject", msg.Subject(), "err", aerr)
		}
	case errors.Is(err, ErrHandled):
		result = resultHandled
	case errors.As(err, &poison):
		if c.bury(ctx, msg, poison.Reason, poison.Err, n) {
			result = resultDead
		}
	case c.maxDeliver > 0 && n >= uint64(c.maxDeliver):
		reason := ReasonMaxDeliveries
		if errors.Is(err, errPanicked) {
			reason = ReasonPanicked
		}
		if c.bury(ctx, msg, reason, err, n) {
			result = resultDead
		}
	default:
		delay := c.backoff[min(int(n), len(c.backoff))-1]
		c.log.WarnContext(ctx, "message will be retried", "subject", msg.Subject(), "delivery", n, "retry_in", delay, "err", err)
		_ = msg.NakWithDelay(delay)
	}
	c.m.handled.WithLabelValues(c.durable, result).Inc()
}

// bury records msg on DRAY_DEAD, counts it and terminates it. When the record cannot be
// stored the message is put back, so it is not lost, unless this was its last delivery. It
// reports whether the message was terminated.
func (c *consumer) bury(ctx context.Context, msg jetstream.Msg, reason string, cause error, n uint64) bool {
	log := c.log.With("subject", msg.Subject(), "consumer", c.durable, "reason", reason, "delivery", n)
	if err := c.bus.publishDead(ctx, deadLetter(msg, c.durable, reason, cause)); err != nil {
		if c.maxDeliver <= 0 || n < uint64(c.maxDeliver) {
			log.Warn("dead letter not recorded; the message will be retried", "err", err, "cause", cause)
			_ = msg.NakWithDelay(c.backoff[min(int(n), len(c.backoff))-1])
			return false
		}
		log.Error("dead letter not recorded; terminating the message anyway", "err", err, "cause", cause)
	}
	c.m.dead.WithLabelValues(c.durable, reason).Inc()
	log.Warn("message dead-lettered", "err", cause)
	if err := msg.Term(); err != nil {
		log.Warn("term failed", "err", err)
	}
	return true
}
