package token

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// Index keeps every stored token in memory by hash, following the bucket, so checking a
// token reads no NATS: a token created anywhere works, and a revoked one stops working, as
// soon as the bucket's update arrives. It is safe for concurrent use.
type Index struct {
	mu     sync.RWMutex
	byHash map[string]v1.APIToken
	// hashOf maps a key to the hash stored under it, to forget it when the key goes.
	hashOf map[string]string
}

// Watch loads every token of kv and follows its changes until ctx ends. It returns once the
// stored tokens are loaded.
func Watch(ctx context.Context, kv jetstream.KeyValue) (*Index, error) {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch tokens: %w", err)
	}
	ix := &Index{byHash: map[string]v1.APIToken{}, hashOf: map[string]string{}}
	if err := bus.Follow(ctx, w, ix.apply); err != nil {
		return nil, err
	}
	return ix, nil
}

func (ix *Index) apply(e jetstream.KeyValueEntry) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.hashOf[e.Key()]; ok {
		delete(ix.byHash, old)
		delete(ix.hashOf, e.Key())
	}
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	var t v1.APIToken
	if json.Unmarshal(e.Value(), &t) != nil || t.SHA256 == "" {
		return
	}
	ix.byHash[t.SHA256] = t
	ix.hashOf[e.Key()] = t.SHA256
}

// Lookup returns the stored token text is, or ErrMalformed, ErrUnknown (never made, or
// revoked) or ErrExpired.
func (ix *Index) Lookup(text string, now time.Time) (v1.APIToken, error) {
	if _, err := Parse(text); err != nil {
		return v1.APIToken{}, err
	}
	return ix.LookupHash(Hash(text), now)
}

// LookupHash is Lookup by the token's hash, for a session that keeps the hash rather than
// the token (the gateway's web sign-in): it returns ErrUnknown for a revoked token, as
// Lookup does.
func (ix *Index) LookupHash(hash string, now time.Time) (v1.APIToken, error) {
	ix.mu.RLock()
	t, ok := ix.byHash[hash]
	ix.mu.RUnlock()
	switch {
	case !ok:
		return v1.APIToken{}, ErrUnknown
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return v1.APIToken{}, fmt.Errorf("%w: %s expired at %s", ErrExpired, describe(t.Project, t.Name), t.ExpiresAt.Format(time.RFC3339))
	}
	return t, nil
}
