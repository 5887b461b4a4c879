package discovery

import (
	"net/http"
	"sync"

	"golang.org/x/time/rate"
)

// RateLimiter holds one token bucket per registry host, shared by every subscription that
// talks to that host. Each request waits for a token of its host; tokens are granted in the
// order they were asked for, so a subscription with at most k requests in flight waits behind
// at most the requests already queued, never behind another subscription's whole backlog.
// Image discovery bounds a subscription's in-flight requests (image.Options.Concurrency),
// which is what keeps one NewestBuild subscription from starving others on the same host.
// A RateLimiter is safe for concurrent use; the nil *RateLimiter does not limit.
type RateLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewRateLimiter returns a RateLimiter allowing perSecond requests per second per host with
// bursts of burst requests. A burst below 1 is taken as 1.
func NewRateLimiter(perSecond float64, burst int) *RateLimiter {
	return &RateLimiter{limit: rate.Limit(perSecond), burst: max(burst, 1), buckets: map[string]*rate.Limiter{}}
}

// bucket returns the token bucket of host, creating it on first use.
func (l *RateLimiter) bucket(host string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[host]
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[host] = b
	}
	return b
}

// Transport returns base wrapped so that every request first waits for a token of its URL's
// host. A request whose context ends while waiting fails with the context's error. With a nil
// l it returns base.
func (l *RateLimiter) Transport(base http.RoundTripper) http.RoundTripper {
	if l == nil {
		return base
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &limitedTransport{l: l, base: base}
}

type limitedTransport struct {
	l    *RateLimiter
	base http.RoundTripper
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.l.bucket(req.URL.Host).Wait(req.Context()); err != nil {
		return nil, err
	}
	return t.base.RoundTrip(req)
}
