package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Store reads and writes the dray-tokens bucket. It is safe for concurrent use.
type Store struct{ kv jetstream.KeyValue }

// NewStore returns a store on the dray-tokens bucket.
func NewStore(kv jetstream.KeyValue) *Store { return &Store{kv: kv} }

// Create stores a new token described by t (Name, Project, Role or SystemAdmin, ExpiresAt,
// CreatedBy) and returns the token, which is stored nowhere. It returns ErrExists when the
// project has a token of that name.
func (s *Store) Create(ctx context.Context, t v1.APIToken) (string, v1.APIToken, error) {
	if t.SystemAdmin {
		t.Project, t.Role = "", ""
	}
	key := Key(t.Project, t.Name)
	text := generate(key)
	t.SHA256 = Hash(text)
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now().UTC()
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", t, err
	}
	if _, err := s.kv.Create(ctx, key, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return "", t, fmt.Errorf("%w: %s; revoke it first or choose another name", ErrExists, describe(t.Project, t.Name))
		}
		return "", t, fmt.Errorf("store token %s: %w", describe(t.Project, t.Name), err)
	}
	return text, t, nil
}

// List returns the tokens of project (the system-admin tokens when project is empty),
// sorted by name, without their hashes.
func (s *Store) List(ctx context.Context, project string) ([]v1.APIToken, error) {
	keys, err := s.kv.ListKeysFiltered(ctx, Key(project, "*"))
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := []v1.APIToken{}
	for k := range keys.Keys() {
		e, err := s.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read token %s: %w", k, err)
		}
		var t v1.APIToken
		if err := json.Unmarshal(e.Value(), &t); err != nil {
			return nil, fmt.Errorf("decode token %s: %w", k, err)
		}
		t.SHA256 = ""
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Revoke deletes a token; ErrNotFound when there is none.
func (s *Store) Revoke(ctx context.Context, project, name string) error {
	key := Key(project, name)
	if _, err := s.kv.Get(ctx, key); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("%w: %s", ErrNotFound, describe(project, name))
		}
		return fmt.Errorf("read token %s: %w", key, err)
	}
	if err := s.kv.Purge(ctx, key); err != nil {
		return fmt.Errorf("revoke token %s: %w", describe(project, name), err)
	}
	return nil
}

// valid reports whether text is a stored token, reading the bucket.
func (s *Store) valid(ctx context.Context, text string) bool {
	key, err := Parse(text)
	if err != nil {
		return false
	}
	e, err := s.kv.Get(ctx, key)
	if err != nil {
		return false
	}
	var t v1.APIToken
	return json.Unmarshal(e.Value(), &t) == nil && t.SHA256 == Hash(text) && (t.ExpiresAt == nil || time.Now().Before(*t.ExpiresAt))
}

// EnsureAdminFile returns the system-admin token kept in file (mode 0600), making one named
// name when the file is missing or its token no longer works (e.g. revoked, or NATS data
// wiped). dray up calls it at start.
func (s *Store) EnsureAdminFile(ctx context.Context, file, name string) (string, error) {
	if b, err := os.ReadFile(file); err == nil {
		if text := strings.TrimSpace(string(b)); s.valid(ctx, text) {
			return text, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	if err := s.Revoke(ctx, "", name); err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	text, _, err := s.Create(ctx, v1.APIToken{Name: name, SystemAdmin: true, CreatedBy: "dray up"})
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", err
	}
	// Written aside and renamed, so a reader (or a crash) never sees half a token.
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(text+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write admin token: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return "", fmt.Errorf("write admin token: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return "", fmt.Errorf("write admin token: %w", err)
	}
	return text, nil
}

func describe(project, name string) string {
	if project == "" {
		return "system-admin token " + name
	}
	return "token " + name + " of project " + project
}
