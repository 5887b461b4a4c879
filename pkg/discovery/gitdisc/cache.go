package gitdisc

import (
	"encoding/json"
	"slices"
	"sync"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// defaultCacheEntries bounds a Cache made by NewCache.
const defaultCacheEntries = 4096

// Cache remembers, per subscription (its whole spec but its name), the commits last
// discovered and a fingerprint of the remote references they came from. Warehouses with the
// same subscription share an entry. A nil *Cache remembers nothing. It is safe for
// concurrent use.
type Cache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cacheEntry
}

type cacheEntry struct {
	fingerprint string
	commits     []v1.DiscoveredCommit
}

// NewCache returns an empty Cache that holds up to 4096 subscriptions; when full it starts
// over.
func NewCache() *Cache {
	return &Cache{max: defaultCacheEntries, entries: map[string]cacheEntry{}}
}

func cacheKey(sub v1.GitSubscription) string {
	b, _ := json.Marshal(sub) // a struct of strings, ints and bools always encodes
	return string(b)
}

func (c *Cache) get(key, fingerprint string) ([]v1.DiscoveredCommit, bool) {
	if c == nil || fingerprint == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.fingerprint != fingerprint {
		return nil, false
	}
	return slices.Clone(e.commits), true
}

func (c *Cache) put(key, fingerprint string, commits []v1.DiscoveredCommit) {
	if c == nil || fingerprint == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[key] = cacheEntry{fingerprint: fingerprint, commits: slices.Clone(commits)}
}
