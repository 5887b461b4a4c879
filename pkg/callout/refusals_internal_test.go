package callout

import (
	"testing"
	"time"
)

// TestRefusalsWindow: a key gets one record a window, the next window's first record counts
// the refusals left out, and keys beyond max share one record a window.
func TestRefusalsWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &refusals{every: time.Minute, max: 2}
	type want struct {
		ok   bool
		left int
		over bool
	}
	for i, c := range []struct {
		key string
		at  time.Duration
		want
	}{
		{"a", 0, want{ok: true}},
		{"a", time.Second, want{}},
		{"a", 2 * time.Second, want{}},
		{"b", 3 * time.Second, want{ok: true}},
		{"c", 4 * time.Second, want{ok: true, over: true}}, // beyond max: one record for the rest
		{"d", 5 * time.Second, want{}},
		{"a", time.Minute, want{ok: true, left: 2}}, // a new window: a's two left out
		{"a", time.Minute + time.Second, want{}},
		{"b", time.Minute + 2*time.Second, want{ok: true}},
		{"c", time.Minute + 3*time.Second, want{ok: true, left: 1, over: true}}, // d, left out before
	} {
		ok, left, over := r.admit(c.key, t0.Add(c.at))
		if (want{ok, left, over}) != c.want {
			t.Errorf("%d: admit(%s) = %v, %d, %v; want %+v", i, c.key, ok, left, over, c.want)
		}
	}
}
