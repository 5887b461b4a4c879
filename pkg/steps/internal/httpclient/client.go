package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/steps"
)

// DefaultMaxRedirects is how many redirects a request follows when ClientOptions.MaxRedirects
// is 0.
const DefaultMaxRedirects = 10

// Sentinel errors of Do. Test for them with errors.Is.
var (
	// ErrHostNotAllowed means the project's host allowlist does not name the host of the URL
	// or of a redirect.
	ErrHostNotAllowed = errors.New("host is not in the project's allowlist")
	// ErrTooManyRedirects means a request was redirected more often than MaxRedirects allows.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrLinkLocal means a connection to a link-local address (169.254.0.0/16, fe80::/10) was
	// refused: they reach cloud metadata services. The project's allowlist can name one.
	ErrLinkLocal = errors.New("connections to link-local addresses are refused")
	// ErrPrivateAddress means a connection to a loopback, private (RFC 1918, fc00::/7),
	// shared (100.64.0.0/10), unspecified, multicast or reserved address was refused because
	// the project's allowlist does not name it: such addresses reach this host's own services
	// (the gateway, NATS) and its private networks. Checked on the address a name resolves
	// to, when dialling.
	ErrPrivateAddress = errors.New("connections to private addresses are refused")
)

// Reasons of the errors Do returns, carried in step results.
const (
	ReasonHostNotAllowed   = "HostNotAllowed"
	ReasonTooManyRedirects = "TooManyRedirects"
	ReasonLinkLocal        = "LinkLocalRefused"
	ReasonPrivateAddress   = "PrivateAddressRefused"
	ReasonTimeout          = "Timeout"
	ReasonTLS              = "TLSVerifyFailed"
	ReasonRequest          = "RequestFailed"
)

// ClientOptions are an operator's limits on the requests of the http and http-download steps.
// The zero value follows DefaultMaxRedirects redirects, allows every host at a public address
// and trusts the system's CAs.
type ClientOptions struct {
	// MaxRedirects is how many redirects one request follows before it fails with
	// ErrTooManyRedirects. 0 means DefaultMaxRedirects; a negative value follows none and
	// hands the 3xx response itself to the step.
	MaxRedirects int
	// AllowedHosts maps a project to the hosts its steps may call; the key "*" applies to
	// every project without an entry of its own. A nil map, or a project with neither an entry
	// nor "*", may call every host; an empty list allows none. An entry is a host name or IP
	// ("api.example.com", "127.0.0.1"), optionally with a port ("api.example.com:8443",
	// "[::1]:8080"), "*.example.com" for every subdomain of example.com, a CIDR
	// ("10.20.0.0/16") for every address in it, or "*" for every host. Names compare
	// case-insensitively. The host of the URL and of every redirect is checked.
	//
	// Whatever the list, a connection to a loopback, private, link-local or other special
	// address (ErrPrivateAddress) is made only when an entry names it: the address itself, a
	// CIDR holding it, or the host name that resolved to it ("localhost:8080"); "*" and a
	// missing list never do. The address is checked when dialling, after name resolution.
	AllowedHosts map[string][]string
	// RootCAs are the CAs that verify servers unless a step sets insecureSkipTLSVerify; nil
	// means the system's.
	RootCAs *x509.CertPool
}

// NameValue is one header or query parameter.
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is one outgoing request of a step.
type Request struct {
	// Project is the promotion's project, for the allowlist.
	Project string
	Method  string
	URL     string
	Headers []NameValue
	// QueryParams are URL-encoded and appended to the URL's query.
	QueryParams []NameValue
	// Body is sent as is; nil sends none.
	Body io.Reader
	// Timeout bounds the request, until the response headers arrive and while the caller
	// reads the body; 0 means none beyond ctx.
	Timeout               time.Duration
	InsecureSkipTLSVerify bool
	// Proxy is an http(s):// proxy URL; empty means the environment's (HTTP_PROXY, …).
	Proxy string
}

// Do sends r and returns the response, whose body the caller must close; cancel ends the
// request's timeout and must be called once the body has been read. Errors never contain a
// URL, a header or a query value; they carry a reason (ReasonHostNotAllowed, …), and a host
// outside the allowlist or a link-local address is terminal. When ctx itself ends, ctx's
// error is returned.
func (o ClientOptions) Do(ctx context.Context, r Request) (resp *http.Response, cancel context.CancelFunc, err error) {
	u, err := r.url()
	if err != nil {
		return nil, nil, steps.Terminal(err)
	}
	if err := o.checkHost(r.Project, u); err != nil {
		return nil, nil, steps.Terminal(steps.Reasoned(ReasonHostNotAllowed, err))
	}
	// Checked here too, not only when dialling: through a proxy the dial goes elsewhere.
	if err := o.checkLiteral(r.Project, u.Scheme, u.Hostname(), u.Port()); err != nil {
		return nil, nil, Refused(err)
	}
	client, err := o.client(r)
	if err != nil {
		return nil, nil, steps.Terminal(err)
	}
	rctx, cancel := ctx, context.CancelFunc(func() {})
	if r.Timeout > 0 {
		rctx, cancel = context.WithTimeout(ctx, r.Timeout)
	}
	req, err := http.NewRequestWithContext(rctx, r.Method, u.String(), r.Body)
	if err != nil {
		cancel()
		return nil, nil, steps.Terminal(fmt.Errorf("build request: %w", unwrapURLError(err)))
	}
	for i, h := range r.Headers {
		if !ValidHeaderName(h.Name) {
			cancel()
			return nil, nil, steps.Terminal(fmt.Errorf("config.headers[%d].name: %q is not a valid header name", i, h.Name))
		}
		if !validHeaderValue(h.Value) {
			cancel()
			return nil, nil, steps.Terminal(fmt.Errorf("config.headers[%d].value: not a valid header value (control characters)", i))
		}
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	resp, err = client.Do(req)
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, Classify(err, r.Timeout)
	}
	return resp, cancel, nil
}

// url parses r.URL and appends r.QueryParams, keeping the order of the existing query.
func (r Request) url() (*url.URL, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		// url.Parse quotes the whole URL in its error; name the field only.
		return nil, errors.New("config.url: not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("config.url: scheme must be http or https, not %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("config.url: no host")
	}
	if len(r.QueryParams) > 0 {
		parts := make([]string, 0, len(r.QueryParams)+1)
		if u.RawQuery != "" {
			parts = append(parts, u.RawQuery)
		}
		for _, q := range r.QueryParams {
			parts = append(parts, url.QueryEscape(q.Name)+"="+url.QueryEscape(q.Value))
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u, nil
}

// client returns a client for one request: its own transport (TLS and proxy differ per step),
// without keep-alives so nothing outlives the request.
func (o ClientOptions) client(r Request) (*http.Client, error) {
	proxy := http.ProxyFromEnvironment
	if r.Proxy != "" {
		pu, err := url.Parse(r.Proxy)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, errors.New("config.proxy: must be an http:// or https:// URL")
		}
		proxy = http.ProxyURL(pu)
	}
	tr := &http.Transport{
		Proxy:       proxy,
		DialContext: o.dialContext(r.Project),
		TLSClientConfig: &tls.Config{
			RootCAs:            o.RootCAs,
			InsecureSkipVerify: r.InsecureSkipTLSVerify, //nolint:gosec // the step asked for it
			MinVersion:         tls.VersionTLS12,
		},
		TLSHandshakeTimeout: 10 * time.Second,
		DisableKeepAlives:   true,
		ForceAttemptHTTP2:   true,
	}
	maxRedirects := o.MaxRedirects
	if maxRedirects == 0 {
		maxRedirects = DefaultMaxRedirects
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if maxRedirects < 0 {
				return http.ErrUseLastResponse
			}
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, maxRedirects)
			}
			if err := o.checkHost(r.Project, req.URL); err != nil {
				return fmt.Errorf("redirect: %w", err)
			}
			if err := o.checkLiteral(r.Project, req.URL.Scheme, req.URL.Hostname(), req.URL.Port()); err != nil {
				return fmt.Errorf("redirect: %w", err)
			}
			return nil
		},
	}, nil
}

// checkHost returns ErrHostNotAllowed when project's allowlist does not name u's host.
func (o ClientOptions) checkHost(project string, u *url.URL) error {
	allowed := o.allowlist(project)
	if allowed == nil {
		if _, own := o.AllowedHosts[project]; !own {
			if _, all := o.AllowedHosts["*"]; !all {
				return nil
			}
		}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	for _, entry := range allowed {
		if hostMatches(strings.ToLower(strings.TrimSpace(entry)), host, port) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s (project %q)", ErrHostNotAllowed, host, project)
}

// hostMatches reports whether the allowlist entry names host (and port, when the entry and
// port are both set): "*" names every host, and a CIDR every IP literal in it.
func hostMatches(entry, host, port string) bool {
	if p, err := netip.ParsePrefix(entry); err == nil {
		ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
		return err == nil && p.Contains(ip.Unmap().WithZone(""))
	}
	name, entryPort := splitEntry(entry)
	if entryPort != "" && port != "" && entryPort != port {
		return false
	}
	if name == "*" {
		return true
	}
	if suffix, ok := strings.CutPrefix(name, "*."); ok {
		return strings.HasSuffix(host, "."+suffix)
	}
	return name != "" && name == host
}

// Classify turns an error of http.Client.Do into one with a reason, without the URL that
// *url.Error would print.
func Classify(err error, timeout time.Duration) error {
	err = unwrapURLError(err)
	var (
		netErr  net.Error
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		host    x509.HostnameError
		verify  *tls.CertificateVerificationError
	)
	if refused := Refused(err); refused != nil {
		return refused
	}
	switch {
	case errors.Is(err, ErrTooManyRedirects):
		return steps.Reasoned(ReasonTooManyRedirects, err)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return steps.Reasoned(ReasonTimeout, fmt.Errorf("no response within the timeout of %s", timeout))
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &host), errors.As(err, &verify):
		return steps.Reasoned(ReasonTLS, fmt.Errorf("verify the server's certificate (set insecureSkipTLSVerify to skip): %w", err))
	}
	return steps.Reasoned(ReasonRequest, err)
}

// unwrapURLError drops the *url.Error layers, whose text quotes the URL with its query.
func unwrapURLError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// RedactURL renders raw for messages: scheme and host only, as "https://api.example.com/…".
// Paths and queries may hold tokens (webhook URLs do), and user info holds passwords.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	s := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		s += "/…"
	}
	return s
}

// Redact returns err with every header value, query value and URL password of r replaced by
// [redacted] in its message, keeping what errors.Is and errors.As find. It is the last guard:
// the messages Do builds already leave them out. Values shorter than 4 bytes are kept, so a
// message stays readable.
func (r Request) Redact(err error) error {
	if err == nil {
		return nil
	}
	var secrets []string
	add := func(v string) {
		if len(v) >= 4 {
			secrets = append(secrets, v)
		}
	}
	for _, h := range r.Headers {
		add(h.Value)
	}
	for _, q := range r.QueryParams {
		add(q.Value)
		add(url.QueryEscape(q.Value))
	}
	if u, perr := url.Parse(r.URL); perr == nil {
		if p, ok := u.User.Password(); ok {
			add(p)
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
			}
		}
	}
	msg := err.Error()
	redacted := msg
	for _, s := range secrets {
		redacted = strings.ReplaceAll(redacted, s, "[redacted]")
	}
	if redacted == msg {
		return err
	}
	return &redactedError{msg: redacted, err: err}
}

// redactedError shows a redacted message and unwraps to the original error.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// ValidHeaderName reports whether name is an RFC 7230 token.
func ValidHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v holds no control characters other than tab.
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
