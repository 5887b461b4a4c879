package discovery

import (
	"crypto/tls"
	"net/http"
)

// Transport returns the round tripper a subscription's requests use: base (http.DefaultTransport
// when nil), with TLS verification disabled when insecureSkipTLSVerify is set, behind the
// per-host rate limiter rl (none when nil). A base that is not an *http.Transport cannot have
// its TLS settings changed and is used as given.
func Transport(base http.RoundTripper, insecureSkipTLSVerify bool, rl *RateLimiter) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if insecureSkipTLSVerify {
		if t, ok := base.(*http.Transport); ok {
			t = t.Clone()
			if t.TLSClientConfig == nil {
				t.TLSClientConfig = &tls.Config{}
			}
			t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the subscription asked for it
			base = t
		}
	}
	return rl.Transport(base)
}
