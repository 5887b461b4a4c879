package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/drayhq/dray/pkg/names"
)

// Prefix starts every token, so scanners and people can tell one.
const Prefix = "dray_"

// SystemScope is the key scope of system-admin tokens, which belong to no project.
const SystemScope = "_system"

// Errors of Parse and Index.Lookup.
var (
	ErrMalformed = errors.New("malformed token")
	ErrUnknown   = errors.New("unknown or revoked token")
	ErrExpired   = errors.New("expired token")
	ErrExists    = errors.New("token exists")
	ErrNotFound  = errors.New("no such token")
)

// Key is where a token is stored: <project>.<name>, or _system.<name> when project is
// empty.
func Key(project, name string) string {
	if project == "" {
		project = SystemScope
	}
	return project + "." + name
}

// generate returns a new token of key. The secret is 130 random bits (crypto/rand.Text):
// guessing one, or finding it from its SHA-256, is out of reach, so a fast hash is enough
// and checking a token costs microseconds (a password would need bcrypt; a token does not).
func generate(key string) string { return Prefix + key + "_" + rand.Text() }

// Parse checks a token's shape and returns its key.
func Parse(text string) (string, error) {
	rest, ok := strings.CutPrefix(text, Prefix)
	if !ok {
		return "", fmt.Errorf("%w: it does not start with %s", ErrMalformed, Prefix)
	}
	i := strings.LastIndexByte(rest, '_')
	if i < 0 || len(rest)-i-1 < 20 {
		return "", fmt.Errorf("%w: no secret part", ErrMalformed)
	}
	key := rest[:i]
	scope, name, ok := strings.Cut(key, ".")
	if !ok || names.Project(name) != nil || scope != SystemScope && names.Project(scope) != nil {
		return "", fmt.Errorf("%w: bad project or name", ErrMalformed)
	}
	return key, nil
}

// Hash is the hex SHA-256 of a token, what the bucket keeps.
func Hash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}
