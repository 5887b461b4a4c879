package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Publish stores v as JSON on subject with the deduplication ID id, and returns once JetStream
// has stored it (or found it a duplicate). It retries through a leader election (Retry): the
// same ID makes a repeat of a publish that was stored but not acknowledged a duplicate. A
// subject or ID that NATS would choke on (see MaxSubject) is refused with ErrInvalidSubject,
// and nothing is sent.
func (b *Bus) Publish(ctx context.Context, subject, id string, v any) error {
	if err := errors.Join(checkSubject(subject), checkMsgID(id)); err != nil {
		return fmt.Errorf("publish to %.80q: %w", subject, err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode message for %s: %w", subject, err)
	}
	header := nats.Header{}
	header.Set(HeaderMsgID, id)
	ctx, span := b.startPublish(ctx, subject, header)
	defer span.End()
	err = b.Retry(ctx, func(ctx context.Context) error {
		_, err := b.JS.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: data, Header: header})
		return err
	})
	if err != nil {
		endSpan(span, err)
		return fmt.Errorf("publish %s to %s: %w", id, subject, err)
	}
	return nil
}

// PublishEvent wraps data in a CloudEvents envelope of the given type and publishes it on the
// project's event subject. id must be deterministic, so a republished event is stored once.
func (b *Bus) PublishEvent(ctx context.Context, project, eventType, id, subject string, data any) error {
	e, err := NewEvent(eventType, id, subject, data)
	if err != nil {
		return err
	}
	return b.Publish(ctx, EventSubject(project, eventType), id, e)
}

// GetJSON reads key from kv and decodes it into v, returning the entry's revision. It retries
// through a leader election (Retry). A key that could not be a subject (see MaxSubject) is
// refused with ErrInvalidSubject.
//
// On a replicated bucket any replica may answer, and a replica may lag behind the writes
// already acknowledged (see README.md, "Reading your own writes"): a decision that nothing
// needs doing reads with GetLatestJSON instead.
func (b *Bus) GetJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	if err := checkKey(key); err != nil {
		return 0, fmt.Errorf("read from %s: %w", kv.Bucket(), err)
	}
	var e jetstream.KeyValueEntry
	err := b.Retry(ctx, func(ctx context.Context) (err error) {
		e, err = kv.Get(ctx, key)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read %s from %s: %w", key, kv.Bucket(), err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("decode %s from %s: %w", key, kv.Bucket(), err)
	}
	return e.Revision(), nil
}
