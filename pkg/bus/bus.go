package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
)

// Bus is a service's handle on NATS: the connection, JetStream, and every bucket and store of
// the layout, declared. It is safe for concurrent use.
type Bus struct {
	Conn *nats.Conn
	JS   jetstream.JetStream

	Resources  jetstream.KeyValue
	Freight    jetstream.KeyValue
	Promotions jetstream.KeyValue
	Stages     jetstream.KeyValue
	Warehouses jetstream.KeyValue
	Secrets    jetstream.KeyValue
	// Tokens holds API tokens; see BucketTokens.
	Tokens jetstream.KeyValue
	// Locks holds leases; see BucketLocks.
	Locks jetstream.KeyValue
	// Notifications records EventRouter deliveries; see BucketNotifications.
	Notifications jetstream.KeyValue
	Workspaces    jetstream.ObjectStore

	timeout  time.Duration
	retryFor time.Duration
	replicas int
	tracer   trace.Tracer
}

// New declares the NATS layout on nc (idempotently) and opens its buckets.
func New(ctx context.Context, nc *nats.Conn, o Options) (*Bus, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("open JetStream: %w", err)
	}
	b := &Bus{Conn: nc, JS: js, timeout: o.Timeout, retryFor: o.RetryFor, replicas: max(o.Replicas, 1),
		tracer: newTracer(o.TracerProvider)}
	if b.timeout <= 0 {
		b.timeout = 10 * time.Second
	}
	if b.retryFor <= 0 {
		b.retryFor = DefaultRetryFor
	}
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	if err := Declare(ctx, js, o); err != nil {
		return nil, err
	}
	kvs := []struct {
		name string
		kv   *jetstream.KeyValue
	}{
		{BucketResources, &b.Resources}, {BucketFreight, &b.Freight},
		{BucketPromotions, &b.Promotions}, {BucketStages, &b.Stages}, {BucketSecrets, &b.Secrets},
		{BucketWarehouses, &b.Warehouses}, {BucketLocks, &b.Locks}, {BucketTokens, &b.Tokens},
		{BucketNotifications, &b.Notifications},
	}
	for _, k := range kvs {
		if *k.kv, err = js.KeyValue(ctx, k.name); err != nil {
			return nil, fmt.Errorf("open bucket %s: %w", k.name, err)
		}
	}
	if b.Workspaces, err = js.ObjectStore(ctx, ObjectWorkspaces); err != nil {
		return nil, fmt.Errorf("open object store %s: %w", ObjectWorkspaces, err)
	}
	return b, nil
}

// withTimeout gives ctx the bus default deadline when it has none.
func (b *Bus) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, b.timeout)
}
