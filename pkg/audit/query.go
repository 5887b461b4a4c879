package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// Limits of a Query.
const (
	// DefaultLimit is how many records a page holds when the filter says nothing.
	DefaultLimit = 100
	// MaxLimit bounds a page.
	MaxLimit = 1000
)

// ErrBadContinue is returned for a continue token Query did not make.
var ErrBadContinue = errors.New("continue: not a token of a previous page; pass the continue value a page answered")

// Filter selects records. Empty fields select everything.
type Filter struct {
	// Project selects one project's records; AllProjects must be set to read every project's.
	Project     string
	AllProjects bool
	// Verb, Actor and Resource select records with exactly these values.
	Verb, Actor, Resource string
	// From and To bound the records' time (From inclusive, To exclusive).
	From, To time.Time
	// Limit is the page size: default DefaultLimit, at most MaxLimit.
	Limit int
	// Continue is the Continue of the previous page.
	Continue string
}

// Query reads one page of the trail, oldest first. The two records the gateway stores for an
// allowed request (received, then completed) show as one, the later, when both fall in the
// page.
func Query(ctx context.Context, js jetstream.JetStream, f Filter) (v1.AuditList, error) {
	out := v1.AuditList{Records: []v1.AuditRecord{}}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	project, verb := f.Project, f.Verb
	if f.AllProjects {
		project = "*"
	}
	if verb == "" {
		verb = "*"
	}
	cfg := jetstream.ConsumerConfig{
		AckPolicy: jetstream.AckNonePolicy, FilterSubject: bus.AuditSubject(project, verb),
		InactiveThreshold: time.Minute, MemoryStorage: true,
	}
	switch {
	case f.Continue != "":
		seq, err := strconv.ParseUint(f.Continue, 10, 64)
		if err != nil || seq == 0 {
			return out, ErrBadContinue
		}
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, seq
	case !f.From.IsZero():
		from := f.From
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &from
	}
	cons, err := js.CreateConsumer(ctx, bus.StreamAudit, cfg)
	if err != nil {
		return out, fmt.Errorf("read audit trail: %w", err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = js.DeleteConsumer(dctx, bus.StreamAudit, cons.CachedInfo().Name)
	}()
	at := map[string]int{} // record ID → index in out
	for {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return out, fmt.Errorf("read audit trail: %w", err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				return out, fmt.Errorf("read audit trail: %w", err)
			}
			if !f.To.IsZero() && !md.Timestamp.Before(f.To) {
				return out, nil
			}
			var rec v1.AuditRecord
			if json.Unmarshal(msg.Data(), &rec) != nil || !f.matches(&rec) {
				continue
			}
			if i, ok := at[rec.ID]; ok {
				out.Records[i] = rec
				continue
			}
			if len(out.Records) == limit {
				out.Continue = strconv.FormatUint(md.Sequence.Stream, 10)
				return out, nil
			}
			at[rec.ID] = len(out.Records)
			out.Records = append(out.Records, rec)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return out, fmt.Errorf("read audit trail: %w", err)
		}
		if n == 0 {
			return out, nil
		}
	}
}

func (f Filter) matches(rec *v1.AuditRecord) bool {
	return (f.Actor == "" || rec.Actor == f.Actor) && (f.Resource == "" || rec.Resource == f.Resource)
}
