package bus

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxAttempt bounds one attempt of a retried request, so a request sent to a server that died
// is sent again rather than waited for to the end.
const maxAttempt = 5 * time.Second

// Transient reports whether err is an answer JetStream gives while a stream or bucket has no
// leader for a moment — a leader election after a node left, a server restarting, a client
// reconnecting: no responders, no response from the stream, a timeout, or a 503 from the
// JetStream API. The same request, sent again, may succeed.
func Transient(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrDisconnected),
		// An object store's Put waits for its chunks' acks; with no leader they time out.
		errors.Is(err, jetstream.ErrAsyncPublishTimeout):
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.Code == 503 {
		return true
	}
	// A direct get (a KV read, a key listing's first message) answered with status 503 comes
	// back from nats.go as a plain error carrying only the server's description.
	return strings.Contains(err.Error(), unavailable)
}

// unavailable is the description of the JetStream API's 503 (JSClusterNotAvailErr).
const unavailable = "JetStream system temporarily unavailable"

// Retry calls op until it succeeds or returns an error that is not Transient, waiting with
// exponential backoff in between. Each attempt gets its own deadline (at most 5s), and all of
// them end with ctx's deadline or, when ctx has none, after Options.RetryFor. op must be
// idempotent: every publish of the bus is, by its Nats-Msg-Id, and so is a compare-and-set
// write, whose repeat fails as a conflict the caller already handles. Retry returns op's last
// error.
func (b *Bus) Retry(ctx context.Context, op func(ctx context.Context) error) error {
	return retry(ctx, b.retryFor, min(b.timeout, maxAttempt), op)
}

// DefaultRetryFor is how long RetryWithin keeps retrying when ctx has no deadline, as
// Options.RetryFor's default: a JetStream election takes 4–9s after a node is lost.
const DefaultRetryFor = 30 * time.Second

// RetryWithin is Bus.Retry for code that holds a bucket rather than a Bus (the secret store,
// leases): attempts of at most 5s, for at most within (DefaultRetryFor when 0) when ctx has
// no deadline.
func RetryWithin(ctx context.Context, within time.Duration, op func(ctx context.Context) error) error {
	if within <= 0 {
		within = DefaultRetryFor
	}
	return retry(ctx, within, maxAttempt, op)
}

func retry(ctx context.Context, within, attempt time.Duration, op func(ctx context.Context) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, within)
		defer cancel()
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = 50*time.Millisecond, time.Second
	var last error
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		actx, cancel := context.WithTimeout(ctx, attempt)
		defer cancel()
		last = op(actx)
		if last != nil && !Transient(last) {
			return struct{}{}, backoff.Permanent(last)
		}
		return struct{}{}, last
	}, backoff.WithBackOff(bo), backoff.WithMaxElapsedTime(0))
	if err != nil && last != nil {
		return last // the cause, rather than the context's end that stopped the retries
	}
	return err
}
