package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bus"
)

// DefaultTTL is the lease lifetime unless WithTTL says otherwise; it matches the TTL of
// Dray's lock bucket (bus.LockTTL).
const DefaultTTL = 20 * time.Second

// releaseTimeout bounds giving a lease back, which must happen even when the holder's ctx
// has ended.
const releaseTimeout = 5 * time.Second

// Leases hands out leases on the keys of one KV bucket. The bucket must have a TTL (MaxAge)
// of at least the lease TTL and LimitMarkerTTL set, so that an expired lease is removed and
// its waiters hear of it. Leases is safe for concurrent use; a process should not ask for a
// lease it already holds (it would wait for itself until the lease expires).
type Leases struct {
	kv     jetstream.KeyValue
	holder string
	ttl    time.Duration
	log    *slog.Logger
}

// Option configures Leases.
type Option func(*Leases)

// WithHolder names the holder in the leases it takes, for whoever inspects the bucket.
// Default the host name and process ID.
func WithHolder(name string) Option { return func(l *Leases) { l.holder = name } }

// WithTTL sets how long a lease lives without renewal; the holder renews it every third of
// that. It must not exceed the bucket's TTL. Default DefaultTTL (20 s).
func WithTTL(d time.Duration) Option { return func(l *Leases) { l.ttl = d } }

// WithLogger receives a warning when a lease could not be renewed or given back; both heal
// when the lease expires. Default: no logging.
func WithLogger(log *slog.Logger) Option { return func(l *Leases) { l.log = log } }

// New returns Leases on the keys of kv.
func New(kv jetstream.KeyValue, opts ...Option) *Leases {
	host, _ := os.Hostname()
	l := &Leases{kv: kv, holder: host + "/" + strconv.Itoa(os.Getpid()), ttl: DefaultTTL, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(l)
	}
	if l.ttl <= 0 {
		l.ttl = DefaultTTL
	}
	return l
}

// record is a lease's value.
type record struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// Acquire waits until it holds the lease on key, or ctx ends, and returns the function that
// gives it back. key must be a valid KV key. While held, the lease is renewed in the
// background; release stops that and deletes the lease if it is still the caller's. release
// may be called more than once.
func (l *Leases) Acquire(ctx context.Context, key string) (release func(), err error) {
	// A free lease is one Create; only a taken one needs the watch (a consumer) to wait on.
	rev, err := l.create(ctx, key)
	if err == nil {
		return l.hold(ctx, key, rev), nil
	}
	if !taken(err) {
		return nil, fmt.Errorf("lease %s: %w", key, err)
	}
	// Watch before trying again, so that a delete between a failed Create and the wait is
	// not missed.
	w, err := l.watch(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("lease %s: watch: %w", key, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		rev, err := l.create(ctx, key)
		if err == nil {
			return l.hold(ctx, key, rev), nil
		}
		if !taken(err) {
			return nil, fmt.Errorf("lease %s: %w", key, err)
		}
		if err := l.waitFree(ctx, key, w); err != nil {
			return nil, fmt.Errorf("lease %s: %w", key, err)
		}
	}
}

// watch watches key, retrying through a leader election (bus.RetryWithin). The watch lives
// until ctx ends or it is stopped.
func (l *Leases) watch(ctx context.Context, key string) (jetstream.KeyWatcher, error) {
	var w jetstream.KeyWatcher
	err := bus.RetryWithin(ctx, 0, func(context.Context) (err error) {
		w, err = l.kv.Watch(ctx, key) // not the attempt's context, which ends with the attempt
		return err
	})
	return w, err
}

// create writes the lease on key if there is none, retrying through a leader election of the
// bucket's stream (bus.RetryWithin). A repeat of a Create that was stored although its answer
// was lost finds the lease taken, by this very caller: it waits for it to expire, as for any
// other holder's.
func (l *Leases) create(ctx context.Context, key string) (uint64, error) {
	var rev uint64
	err := bus.RetryWithin(ctx, 0, func(ctx context.Context) (err error) { rev, err = l.kv.Create(ctx, key, l.value()); return err })
	return rev, err
}

// taken reports whether Create failed because key holds a lease: ErrKeyExists, or the "wrong
// last sequence" that Create returns unwrapped when it found the key deleted (a lease given
// back or expired) and another holder created it before Create wrote over the delete. On a
// replicated bucket the read that finds it deleted may also come from a replica that has not
// applied the other holder's write yet.
func taken(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) || errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// waitFree returns when key may be free: its lease was deleted or expired (as the watcher
// tells), or its holder let it pass its expiry without the bucket removing it, in which case
// waitFree deletes it.
func (l *Leases) waitFree(ctx context.Context, key string, w jetstream.KeyWatcher) error {
	var e jetstream.KeyValueEntry
	err := bus.RetryWithin(ctx, 0, func(ctx context.Context) (err error) { e, err = l.kv.Get(ctx, key); return err })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var rec record
	expires := time.Now().Add(l.ttl)
	if json.Unmarshal(e.Value(), &rec) == nil && !rec.Expires.IsZero() {
		expires = rec.Expires
	}
	// A little past the expiry, so that the bucket's own removal normally comes first.
	timer := time.NewTimer(time.Until(expires) + time.Second)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case u, ok := <-w.Updates():
			if !ok {
				return errors.New("watch stopped")
			}
			if u != nil && u.Operation() != jetstream.KeyValuePut {
				return nil
			}
			if u != nil && u.Revision() > e.Revision() {
				return nil // renewed or taken by someone else: look again
			}
		case <-timer.C:
			// Expired and still there: remove it, unless it changed meanwhile. A failure
			// shows in the next Create.
			_ = l.kv.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
			return nil
		}
	}
}

// hold renews the lease on key, written at rev, until the returned release is called.
func (l *Leases) hold(ctx context.Context, key string, rev uint64) func() {
	stop := make(chan struct{})
	done := make(chan uint64, 1)
	go func() {
		t := time.NewTicker(l.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				done <- rev
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.ttl/3)
				next, err := l.kv.Update(rctx, key, l.value(), rev)
				cancel()
				if err != nil {
					l.log.Warn("lease not renewed; it may pass to another holder", "key", key, "err", err)
					done <- 0
					<-stop
					return
				}
				rev = next
			}
		}
	}()
	released := false
	return func() {
		if released {
			return
		}
		released = true
		close(stop)
		rev := <-done
		if rev == 0 {
			return // lost: not ours to delete
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := l.kv.Delete(rctx, key, jetstream.LastRevision(rev)); err != nil {
			l.log.Warn("lease not given back; it expires by itself", "key", key, "err", err)
		}
	}
}

func (l *Leases) value() []byte {
	b, _ := json.Marshal(record{Holder: l.holder, Expires: time.Now().Add(l.ttl)})
	return b
}
