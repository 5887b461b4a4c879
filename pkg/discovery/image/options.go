package image

import (
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/drayhq/dray/pkg/discovery"
)

// DefaultConcurrency is how many registry reads one subscription's discovery has in flight
// when Options.Concurrency is zero.
const DefaultConcurrency = 8

// Options are what discovery needs besides the subscription. The zero value reads anonymously
// over http.DefaultTransport, without rate limiting or shared listings.
type Options struct {
	// Auth authenticates to the registry. Nil means anonymous.
	Auth authn.Authenticator
	// Transport carries the requests. Nil means http.DefaultTransport. The subscription's
	// insecureSkipTLSVerify is applied to it when it is an *http.Transport.
	Transport http.RoundTripper
	// RateLimiter paces requests per registry host, shared by all subscriptions. Nil means
	// no limit.
	RateLimiter *discovery.RateLimiter
	// Lister shares tag listings between subscriptions of the same repository. Nil means each
	// discovery lists the tags itself.
	Lister *Lister
	// TagCache keeps tag metadata for subscriptions with cacheByTag. Nil means none:
	// cacheByTag then changes nothing.
	TagCache *TagCache
	// Concurrency bounds the metadata reads one discovery has in flight, so one NewestBuild
	// subscription cannot take every token of a registry's rate limiter. Default
	// DefaultConcurrency.
	Concurrency int
}

func (o Options) concurrency() int {
	if o.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return o.Concurrency
}
