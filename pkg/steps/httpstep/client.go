package httpstep

import "github.com/drayhq/dray/pkg/steps/internal/httpclient"

// The client the http executor's steps share (the host allowlist, redirects, TLS, redaction)
// is pkg/steps/internal/httpclient. These names are how code outside pkg/steps configures it
// (the http executor, dray run) and how its errors are matched.
type (
	// ClientOptions are the limits on the requests a step makes (httpclient.ClientOptions).
	ClientOptions = httpclient.ClientOptions
	// NameValue is a header or query parameter (httpclient.NameValue).
	NameValue = httpclient.NameValue
	// Request is one HTTP request (httpclient.Request).
	Request = httpclient.Request
)

// DefaultMaxRedirects is how many redirects a request follows when ClientOptions.MaxRedirects
// is 0.
const DefaultMaxRedirects = httpclient.DefaultMaxRedirects

// Sentinel errors of ClientOptions.Do. Test for them with errors.Is.
var (
	ErrHostNotAllowed   = httpclient.ErrHostNotAllowed
	ErrTooManyRedirects = httpclient.ErrTooManyRedirects
	ErrLinkLocal        = httpclient.ErrLinkLocal
	ErrPrivateAddress   = httpclient.ErrPrivateAddress
	ErrResponseTooLarge = httpclient.ErrResponseTooLarge
)

// Reasons of the client's errors in results.
const (
	ReasonHostNotAllowed   = httpclient.ReasonHostNotAllowed
	ReasonTooManyRedirects = httpclient.ReasonTooManyRedirects
	ReasonLinkLocal        = httpclient.ReasonLinkLocal
	ReasonPrivateAddress   = httpclient.ReasonPrivateAddress
	ReasonTimeout          = httpclient.ReasonTimeout
	ReasonTLS              = httpclient.ReasonTLS
	ReasonRequest          = httpclient.ReasonRequest
	ReasonResponseTooLarge = httpclient.ReasonResponseTooLarge
)

// RedactURL is httpclient.RedactURL: raw for messages, scheme and host only.
func RedactURL(raw string) string { return httpclient.RedactURL(raw) }

// Refused is httpclient.Refused: the reasoned, terminal error of a connection the
// allowlist refused, or nil.
func Refused(err error) error { return httpclient.Refused(err) }
