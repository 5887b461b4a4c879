package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/metric"
)

// Reasons a message is dead-lettered. Handlers may give others (CamelCase); these are the
// common ones, and MaxDeliveries is Consume's own.
const (
	// ReasonUndecodable: the payload is not the message the subject carries.
	ReasonUndecodable = "Undecodable"
	// ReasonInvalid: the message decodes but a name or field is invalid, or its body names
	// another project than its subject.
	ReasonInvalid = "Invalid"
	// ReasonNotFound: the message is about something that does not exist, e.g. a result for
	// an unknown Promotion.
	ReasonNotFound = "NotFound"
	// ReasonForbidden: the message's sender may not ask what it asks, e.g. a token whose
	// role may not promote the Stage its command names, or one revoked since it connected.
	ReasonForbidden = "Forbidden"
	// ReasonMaxDeliveries: the handler failed on every delivery MaxDeliver allows.
	ReasonMaxDeliveries = "MaxDeliveries"
	// ReasonPanicked: the handler panicked on the last delivery MaxDeliver allows.
	ReasonPanicked = "Panicked"
)

// PoisonError marks a message that can never be handled: Consume terminates it (no
// redelivery), records it on DRAY_DEAD and counts it. Match it with errors.As.
type PoisonError struct {
	// Reason is a stable CamelCase word, e.g. ReasonInvalid; it labels the metric.
	Reason string
	Err    error
}

func (e *PoisonError) Error() string { return "poison message (" + e.Reason + "): " + e.Err.Error() }

func (e *PoisonError) Unwrap() error { return e.Err }

// Poison tells Consume that the message can never be handled, for reason (e.g.
// ReasonUndecodable) because of err. A handler returns it for a message it cannot decode,
// validate or act on; retrying such a message would only fill the consumer's window.
func Poison(reason string, err error) error {
	if err == nil {
		err = errors.New(reason)
	}
	return &PoisonError{Reason: reason, Err: err}
}

// Bounds of a dead-letter record and of the DRAY_DEAD stream.
const (
	// MaxDeadData is how much of a payload a dead-letter record keeps.
	MaxDeadData = 4 << 10
	// maxDeadText bounds the error message and each header value kept.
	maxDeadText = 1 << 10
	// maxDeadHeaders bounds how many header values are kept.
	maxDeadHeaders = 32
	// DeadMaxMsgs, DeadMaxBytes and DeadMaxAge bound DRAY_DEAD; the oldest records go first.
	DeadMaxMsgs  = 100_000
	DeadMaxBytes = 256 << 20
	DeadMaxAge   = 14 * 24 * time.Hour
)

// deadLetters counts dead-lettered messages; one per process registry, shared by every
// consumer registered on it.
func deadLetters(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	return metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_messages_dead_total",
		Help: "Messages a consumer terminated and recorded on DRAY_DEAD, by consumer and reason.",
	}, []string{"consumer", "reason"}))
}

// deadLetter builds the record of msg, given up for reason because of err.
func deadLetter(msg jetstream.Msg, consumer, reason string, err error) *v1.DeadLetter {
	d := &v1.DeadLetter{Subject: msg.Subject(), Consumer: consumer, Reason: reason, Message: cut(err.Error()),
		Size: len(msg.Data()), At: time.Now().UTC()}
	if md, merr := msg.Metadata(); merr == nil {
		d.Stream, d.Sequence, d.Deliveries = md.Stream, md.Sequence.Stream, md.NumDelivered
	}
	data := msg.Data()
	d.Data = data[:min(len(data), MaxDeadData)]
	n := 0
	for k, vs := range msg.Headers() {
		for _, v := range vs {
			if n == maxDeadHeaders {
				break
			}
			if d.Headers == nil {
				d.Headers = map[string][]string{}
			}
			d.Headers[cut(k)] = append(d.Headers[cut(k)], cut(v))
			n++
		}
	}
	return d
}

// publishDead stores d on DRAY_DEAD. Its message ID is the original's stream and sequence, so
// a message dead-lettered twice (a crash before its Term) is recorded once.
func (b *Bus) publishDead(ctx context.Context, d *v1.DeadLetter) error {
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode dead letter: %w", err)
	}
	ctx, cancel := b.withTimeout(ctx)
	defer cancel()
	msg := &nats.Msg{Subject: DeadSubject(d.Stream, d.Consumer), Data: data, Header: nats.Header{}}
	msg.Header.Set(HeaderMsgID, "dead/"+d.Stream+"/"+strconv.FormatUint(d.Sequence, 10)+"/"+d.Consumer)
	if err := checkSubject(msg.Subject); err != nil {
		return err
	}
	if _, err := b.JS.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("publish dead letter to %s: %w", msg.Subject, err)
	}
	return nil
}

// cut shortens s to maxDeadText bytes.
func cut(s string) string {
	if len(s) <= maxDeadText {
		return s
	}
	return s[:maxDeadText] + "…"
}
