// Package check holds the checks the scheduler runs on every command and event before a key
// or subject is built from it: one that fails can never be carried out, so the handler
// poisons it (pkg/bus/README.md), answering a command with command.rejected first.
package check

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

// SubjectProject is the project token of dray.<stream>.<project>.…, checked.
func SubjectProject(subject string) (string, error) {
	return Project(subject), names.Field("subject project", Project(subject), names.Project)
}

// SameProject checks the project a body names against its subject's; a command may leave it
// out. NATS permissions fence a tenant by subject, so the body must not name another.
func SameProject(body, subject string, optional bool) error {
	if body == subject || optional && body == "" {
		return nil
	}
	return fmt.Errorf("project: the message names project %s but was sent on project %s's subject", Short(body), subject)
}

// MaxID bounds the IDs senders choose (idempotency keys, delivery IDs).
const MaxID = 253

// ID checks a sender-chosen ID, which may be empty: printable, no spaces, at most
// MaxID bytes; it becomes part of message IDs and Promotion names.
func ID(field, id string) error {
	if len(id) > MaxID {
		return fmt.Errorf("%s: %s is longer than %d bytes", field, Short(id), MaxID)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%s: %s holds %q; use printable ASCII without spaces", field, Short(id), c)
		}
	}
	return nil
}

// OptionalName checks a name that may be left out.
func OptionalName(field, name string) error {
	if name == "" {
		return nil
	}
	return names.Field(field, name, names.Object)
}

// DecodeEvent decodes an event and its data, poisoning what does not decode, and checks the
// subject's project.
func DecodeEvent(msg jetstream.Msg, data any) (project string, e v1.Event, err error) {
	if project, err = SubjectProject(msg.Subject()); err != nil {
		return "", e, bus.Poison(bus.ReasonInvalid, err)
	}
	ce, err := bus.DecodeEvent(msg.Data())
	if err != nil {
		return "", e, bus.Poison(bus.ReasonUndecodable, fmt.Errorf("decode event on %s: %w", msg.Subject(), err))
	}
	e = *ce
	if err := json.Unmarshal(e.Data, data); err != nil {
		return "", e, bus.Poison(bus.ReasonUndecodable, fmt.Errorf("decode data of event %s on %s: %w", Short(e.ID), msg.Subject(), err))
	}
	return project, e, nil
}

// Invalid poisons a message that failed its checks.
func Invalid(errs ...error) error {
	if err := errors.Join(errs...); err != nil {
		return bus.Poison(bus.ReasonInvalid, err)
	}
	return nil
}

// Short quotes s for an error, cut short: an error must not echo a hostile 5,000 bytes.
func Short(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q… (%d bytes)", s[:64], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// LastToken is the last token of a subject.
func LastToken(subject string) string { return subject[strings.LastIndexByte(subject, '.')+1:] }

// Project reads the project token of dray.<stream>.<project>.… subjects, unchecked.
func Project(subject string) string {
	parts := strings.SplitN(subject, ".", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}
