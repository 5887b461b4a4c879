package bus

import (
	"errors"
	"fmt"
	"strings"
)

// MaxSubject is the longest subject (and key) the bus sends. NATS refuses a protocol line
// over its max_control_line (4 KB by default) by closing the connection for good — nats.go
// does not reconnect after "maximum control line exceeded" — so one over-long name would take
// a service off the bus. Dray's own subjects stay far below: a project is at most 63
// characters, a resource name at most 253.
const MaxSubject = 512

// maxMsgID bounds a Nats-Msg-Id.
const maxMsgID = 1024

// ErrInvalidSubject wraps every subject, key or message ID the bus refuses to send.
var ErrInvalidSubject = errors.New("invalid subject")

// checkSubject refuses a subject NATS would reject or choke on: empty, longer than
// MaxSubject, with an empty token, a wildcard, a space or a control character.
func checkSubject(s string) error {
	if err := checkTokens(s, false); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalidSubject, err)
	}
	return nil
}

// checkKey refuses a key of a bucket that checkSubject would refuse as a subject; a key may
// hold '/', '=', '_' and '-' too, as jetstream's own check allows.
func checkKey(k string) error {
	if err := checkTokens(k, true); err != nil {
		return fmt.Errorf("%w: key %s", ErrInvalidSubject, err)
	}
	return nil
}

func checkTokens(s string, key bool) error {
	switch {
	case s == "":
		return errors.New("is empty")
	case len(s) > MaxSubject:
		return fmt.Errorf("%.40q… is %d bytes, over %d", s, len(s), MaxSubject)
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" {
			return fmt.Errorf("%.80q has an empty token", s)
		}
		for i := 0; i < len(tok); i++ {
			c := tok[i]
			if c <= ' ' || c >= 0x7f || c == '*' || c == '>' {
				return fmt.Errorf("%.80q holds %q", s, c)
			}
			if key && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-/_=", c) >= 0) {
				return fmt.Errorf("%.80q holds %q", s, c)
			}
		}
	}
	return nil
}

// checkMsgID refuses a Nats-Msg-Id that is empty, too long, or holds a control character (a
// line break would end the header early).
func checkMsgID(id string) error {
	if id == "" || len(id) > maxMsgID {
		return fmt.Errorf("%w: message ID of %d bytes (want 1 to %d)", ErrInvalidSubject, len(id), maxMsgID)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < ' ' || c == 0x7f {
			return fmt.Errorf("%w: message ID %.80q holds %q", ErrInvalidSubject, id, c)
		}
	}
	return nil
}
