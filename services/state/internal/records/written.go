package records

import "sync"

// Bounds of the written cache; past either, it starts again empty.
const (
	maxWritten      = 4096
	maxWrittenBytes = 32 << 20
)

// written keeps, per Promotion key, the revision and bytes a Writer last stored. The
// next change to that Promotion starts from them instead of reading the bucket: the
// compare-and-set that stores the change fails if anyone wrote since (another replica, a
// deletion), and Promotion then reads the bucket. It holds at most maxWritten Promotions and
// maxWrittenBytes of them: Promotions with large outputs must not make it grow with the
// number of Promotions. Safe for concurrent use.
type written struct {
	mu      sync.Mutex
	entries map[string]writtenEntry
	bytes   int
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
	w.bytes -= len(w.entries[key].data)
	if w.entries == nil || len(w.entries) >= maxWritten || w.bytes+len(data) > maxWrittenBytes {
		w.entries, w.bytes = map[string]writtenEntry{}, 0
	}
	w.entries[key] = writtenEntry{rev, data}
	w.bytes += len(data)
}

func (w *written) forget(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bytes -= len(w.entries[key].data)
	delete(w.entries, key)
}

// size reports how many Promotions and bytes the cache holds.
func (w *written) size() (int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.entries), w.bytes
}
