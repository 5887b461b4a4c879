package audit

import (
	"context"
	"fmt"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
)

// maxReason bounds the reason a record keeps: enough for any error Dray writes, not a body.
const maxReason = 1024

// publisher is what Append needs of the bus.
type publisher interface {
	Publish(ctx context.Context, subject, id string, v any) error
}

// Append stores rec on dray.audit.<project>.<verb> with the deduplication ID rec.ID, suffixed
// with stage when set (the gateway stores a request's record as received, then completed),
// and returns once JetStream has stored it. A project or verb that is not a valid subject
// token is kept out of the subject (the record is filed under _system, resp. verb other) and
// out of the record, which keeps the request path instead. A reason is cut to 1 KiB.
func Append(ctx context.Context, b publisher, rec *v1.AuditRecord, stage string) error {
	if rec.Project != "" && names.Project(rec.Project) != nil {
		rec.Project = ""
	}
	verb := rec.Verb
	if verb == "" || names.Project(verb) != nil {
		verb = "other"
	}
	if len(rec.Reason) > maxReason {
		rec.Reason = rec.Reason[:maxReason] + "…"
	}
	id := rec.ID
	if stage != "" {
		id += "/" + stage
	}
	if err := b.Publish(ctx, bus.AuditSubject(rec.Project, verb), id, rec); err != nil {
		return fmt.Errorf("append audit record %s: %w", id, err)
	}
	return nil
}
