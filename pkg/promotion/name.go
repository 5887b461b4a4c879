package promotion

import (
	"crypto/sha256"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// maxStagePrefix is the longest Stage name a Promotion's name starts with, so that the name
// stays a DNS-1123 subdomain of at most 253 characters: 253 - len(".<ulid>.<7 of freight>").
// Kargo shortens the Stage name the same way.
const maxStagePrefix = 253 - 1 - ulid.EncodedSize - 1 - 7

// Name returns the name of the Promotion that a request creates: <stage>.<ulid>.<first 7 of
// freight>, lower-case (Kargo's form), with the Stage name shortened to maxStagePrefix. The
// ULID's time is at and its entropy comes from key, so the same request always yields the
// same name, and a re-sent request creates nothing new.
func Name(stage, freight, key string, at time.Time) string {
	if len(stage) > maxStagePrefix {
		// A cut may end on '-' or '.', which a name's part may not.
		stage = strings.TrimRight(stage[:maxStagePrefix], "-.")
	}
	sum := sha256.Sum256([]byte(stage + "\x00" + freight + "\x00" + key))
	var id ulid.ULID
	_ = id.SetTime(ulid.Timestamp(at))
	_ = id.SetEntropy(sum[:10])
	short := freight
	if len(short) > 7 {
		short = short[:7]
	}
	return strings.ToLower(stage + "." + id.String() + "." + short)
}

// CreatedAt returns the time a Promotion named by Name was requested, read from the ULID in
// its name; false for a name of another form.
func CreatedAt(name string) (time.Time, bool) {
	parts := strings.Split(name, ".")
	if len(parts) < 3 {
		return time.Time{}, false
	}
	id, err := ulid.ParseStrict(strings.ToUpper(parts[len(parts)-2]))
	if err != nil {
		return time.Time{}, false
	}
	return ulid.Time(id.Time()), true
}
