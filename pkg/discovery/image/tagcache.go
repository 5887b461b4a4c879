package image

import (
	"maps"
	"sync"
)

// DefaultTagCacheEntries bounds a TagCache made with NewTagCache(0).
const DefaultTagCacheEntries = 100000

// TagCache remembers what a tag's manifest said, for subscriptions that declare their tags
// immutable (cacheByTag, docs/resources.md#image-subscriptions): a later discovery takes such a tag's digest,
// build time and annotations from the cache instead of the registry, and only lists tags.
// Entries are keyed by repository, credentials and platform, so what one set of credentials
// read is never handed to another. When full, the cache starts over. Safe for concurrent use.
type TagCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]meta
}

// NewTagCache returns an empty TagCache of at most max entries (DefaultTagCacheEntries when
// max < 1).
func NewTagCache(max int) *TagCache {
	if max < 1 {
		max = DefaultTagCacheEntries
	}
	return &TagCache{max: max, entries: map[string]meta{}}
}

func (c *TagCache) get(key string) (*meta, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	m.ref.Annotations = maps.Clone(m.ref.Annotations)
	return &m, true
}

func (c *TagCache) put(key string, m *meta) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	cp := *m
	cp.ref.Annotations = maps.Clone(m.ref.Annotations)
	c.entries[key] = cp
}
