package container

import "sync"

// Tail is an io.Writer that keeps the last Max bytes written to it and counts them all, for
// capturing a process's output with bounded memory. It is safe for concurrent use.
type Tail struct {
	// Max is how many bytes are kept.
	Max int

	mu    sync.Mutex
	buf   []byte
	total int64
}

// NewTail returns a Tail that keeps the last max bytes.
func NewTail(max int) *Tail { return &Tail{Max: max} }

// Write keeps the end of p and never fails.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.Max; over > 0 && len(t.buf) > 2*t.Max {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// Bytes returns (a copy of) the last Max bytes.
func (t *Tail) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > t.Max {
		b = b[len(b)-t.Max:]
	}
	return append([]byte(nil), b...)
}

// Total is how many bytes were written.
func (t *Tail) Total() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// Truncated reports that more was written than is kept.
func (t *Tail) Truncated() bool { return t.Total() > int64(t.Max) }
