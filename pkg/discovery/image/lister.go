package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/drayhq/dray/pkg/freight"
)

// Lister shares tag listings between the subscriptions that watch one repository with the same
// credentials: concurrent discoveries wait for one listing, and later ones reuse it until it is
// older than the Lister's max age. Listings are keyed by the normalised repository URL
// (docs/resources.md#how-urls-are-compared) and a fingerprint of the credentials, so a subscription never sees a
// listing made with credentials it does not hold. Failed listings are not kept.
//
// Make one Lister per refresh cycle (max age 0: kept for the Lister's life), or keep one with
// a short max age and call Invalidate when a webhook says the repository changed. A Lister is
// safe for concurrent use.
type Lister struct {
	maxAge time.Duration
	now    func() time.Time

	mu       sync.Mutex
	entries  map[string]*listing
	listings int
}

type listing struct {
	done chan struct{}
	tags []string
	err  error
	at   time.Time
}

// NewLister returns a Lister whose listings are reused for maxAge; 0 means for the Lister's
// whole life.
func NewLister(maxAge time.Duration) *Lister {
	return &Lister{maxAge: maxAge, now: time.Now, entries: map[string]*listing{}}
}

// Listings returns how many listings the Lister has made so far.
func (l *Lister) Listings() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.listings
}

// Invalidate forgets the listings of repoURL, for every credential, so the next discovery
// lists the repository again.
func (l *Lister) Invalidate(repoURL string) {
	prefix := freight.NormalizeImageURL(repoURL) + "\x00"
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.entries {
		if strings.HasPrefix(k, prefix) {
			delete(l.entries, k)
		}
	}
}

// list returns the listing under key, making it with fetch when there is none fresh. The
// returned slice is shared and must not be modified.
func (l *Lister) list(ctx context.Context, key string, fetch func(context.Context) ([]string, error)) ([]string, error) {
	for {
		l.mu.Lock()
		e, ok := l.entries[key]
		if ok && (e.at.IsZero() || l.maxAge == 0 || l.now().Sub(e.at) < l.maxAge) { // in flight or fresh
			l.mu.Unlock()
			select {
			case <-e.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if e.err == nil {
				return e.tags, nil
			}
			if ctx.Err() == nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
				continue // the discovery that listed was cancelled, not this one: list again
			}
			return nil, e.err
		}
		e = &listing{done: make(chan struct{})}
		l.entries[key] = e
		l.listings++
		l.mu.Unlock()

		e.tags, e.err = fetch(ctx)
		l.mu.Lock()
		if e.err != nil {
			if l.entries[key] == e {
				delete(l.entries, key)
			}
		} else {
			e.at = l.now()
		}
		l.mu.Unlock()
		close(e.done)
		return e.tags, e.err
	}
}

// listKey is the normalised repository URL and a fingerprint of the credentials.
func listKey(repoURL string, auth authn.Authenticator) (string, error) {
	key := freight.NormalizeImageURL(repoURL) + "\x00"
	if auth == nil || auth == authn.Anonymous {
		return key + "anonymous", nil
	}
	cfg, err := auth.Authorization()
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return key + hex.EncodeToString(sum[:]), nil
}
