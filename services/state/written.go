package state

import "sync"

// maxWritten bounds the written cache; past it, the cache starts again empty.
const maxWritten = 4096

// written keeps, per Promotion key, the revision and bytes this service last stored. The
// next change to that Promotion starts from them instead of reading the bucket: the
// compare-and-set that stores the change fails if anyone wrote since (another replica, a
// deletion), and update then reads the bucket. Safe for concurrent use.
type written struct {
	mu      sync.Mutex
	entries map[string]writtenEntry
}

type writtenEntry struct {
	rev  uint64
	data []byte
}

func (w *written) get(key string) (writtenEntry, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.entries[key]
	return e, ok
}

func (w *written) put(key string, rev uint64, data []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.entries == nil || len(w.entries) >= maxWritten {
		w.entries = map[string]writtenEntry{}
	}
	w.entries[key] = writtenEntry{rev, data}
}

func (w *written) forget(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.entries, key)
}
