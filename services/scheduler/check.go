package scheduler

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
)

// The checks below run on every command and event before a key or subject is built from
// it: one that fails can never be carried out, so the handler poisons it (see
// pkg/bus/README.md), answering a command with command.rejected first.

// subjectProject is the project token of dray.<stream>.<project>.…, checked.
func subjectProject(subject string) (string, error) {
	return projectOf(subject), names.Field("subject project", projectOf(subject), names.Project)
}

// sameProject checks the project a body names against its subject's; a command may leave it
// out. NATS permissions fence a tenant by subject, so the body must not name another.
func sameProject(body, subject string, optional bool) error {
	if body == subject || optional && body == "" {
		return nil
	}
	return fmt.Errorf("project: the message names project %s but was sent on project %s's subject", short(body), subject)
}

// maxID bounds the IDs senders choose (idempotency keys, delivery IDs).
const maxID = 253

// checkID checks a sender-chosen ID, which may be empty: printable, no spaces, at most
// maxID bytes; it becomes part of message IDs and Promotion names.
func checkID(field, id string) error {
	if len(id) > maxID {
		return fmt.Errorf("%s: %s is longer than %d bytes", field, short(id), maxID)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%s: %s holds %q; use printable ASCII without spaces", field, short(id), c)
		}
	}
	return nil
}

// optionalName checks a name that may be left out.
func optionalName(field, name string) error {
	if name == "" {
		return nil
	}
	return names.Field(field, name, names.Object)
}

// decodeEvent decodes an event and its data, poisoning what does not decode, and checks the
// subject's project.
func decodeEvent(msg jetstream.Msg, data any) (project string, e v1.Event, err error) {
	if project, err = subjectProject(msg.Subject()); err != nil {
		return "", e, bus.Poison(bus.ReasonInvalid, err)
	}
	ce, err := bus.DecodeEvent(msg.Data())
	if err != nil {
		return "", e, bus.Poison(bus.ReasonUndecodable, fmt.Errorf("decode event on %s: %w", msg.Subject(), err))
	}
	e = *ce
	if err := json.Unmarshal(e.Data, data); err != nil {
		return "", e, bus.Poison(bus.ReasonUndecodable, fmt.Errorf("decode data of event %s on %s: %w", short(e.ID), msg.Subject(), err))
	}
	return project, e, nil
}

// invalid poisons a message that failed its checks.
func invalid(errs ...error) error {
	if err := errors.Join(errs...); err != nil {
		return bus.Poison(bus.ReasonInvalid, err)
	}
	return nil
}

// short quotes s for an error, cut short: an error must not echo a hostile 5,000 bytes.
func short(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q… (%d bytes)", s[:64], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// verbOf is the last token of a subject.
func verbOf(subject string) string { return subject[strings.LastIndexByte(subject, '.')+1:] }
