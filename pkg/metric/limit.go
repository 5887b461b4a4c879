package metric

import "sync"

// Other is the label value that stands for every name past a Limiter's bound.
const Other = "_other"

// DefaultMaxSeries is how many distinct label sets of user-chosen names (a project and a
// Stage, a project and a Warehouse) one family keeps per process before it folds the rest
// into Other: enough for a large installation, small enough that a project creating Stages
// in a loop cannot exhaust Prometheus.
const DefaultMaxSeries = 1000

// Limiter bounds the label sets built from user-chosen names. The first max distinct sets
// are kept as they are; every later one becomes all Other, so a dashboard still sums them.
// It is safe for concurrent use.
type Limiter struct {
	mu   sync.Mutex
	max  int
	seen map[string]struct{}
}

// NewLimiter returns a Limiter keeping max label sets; max <= 0 means DefaultMaxSeries.
func NewLimiter(max int) *Limiter {
	if max <= 0 {
		max = DefaultMaxSeries
	}
	return &Limiter{max: max, seen: map[string]struct{}{}}
}

// Values returns values when their set is known or there is room for it, else as many
// Other as there are values.
func (l *Limiter) Values(values ...string) []string {
	key := ""
	for _, v := range values {
		key += v + "\x00"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[key]; ok {
		return values
	}
	if len(l.seen) < l.max {
		l.seen[key] = struct{}{}
		return values
	}
	out := make([]string, len(values))
	for i := range out {
		out[i] = Other
	}
	return out
}
