package httpclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"

	"github.com/drayhq/dray/pkg/steps"
)

// Guard returns base, cloned, as a transport for project's requests that other steps make
// through their own clients (oci-download and oci-push, through go-containerregistry): every
// request it carries, a redirect or a token request as much as the first, must go to a host
// the project's allowlist names, and no connection goes to a loopback, private or
// link-local address the allowlist does not name (checked on the resolved address). A
// refused request fails with an error wrapping ErrHostNotAllowed, ErrPrivateAddress or
// ErrLinkLocal, which Refused turns into a step error.
func (o ClientOptions) Guard(project string, base *http.Transport) http.RoundTripper {
	tr := base.Clone()
	tr.DialContext = o.dialContext(project)
	return &guarded{o: o, project: project, next: tr}
}

type guarded struct {
	o       ClientOptions
	project string
	next    http.RoundTripper
}

func (g *guarded) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.o.checkHost(g.project, req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	// Checked here too, not only when dialling: through a proxy the dial goes elsewhere.
	if err := g.o.checkLiteral(g.project, req.URL.Scheme, req.URL.Hostname(), req.URL.Port()); err != nil {
		closeBody(req)
		return nil, err
	}
	return g.next.RoundTrip(req)
}

// closeBody closes a request's body, as a RoundTripper must even when it sends nothing.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// Refused returns err as a terminal step error with its reason when a Guard refused the
// request behind it (a host outside the allowlist, a private or link-local address), and nil
// otherwise.
func Refused(err error) error {
	err = unwrapURLError(err)
	switch {
	case errors.Is(err, ErrHostNotAllowed):
		return steps.Terminal(steps.Reasoned(ReasonHostNotAllowed, err))
	case errors.Is(err, ErrLinkLocal):
		return steps.Terminal(steps.Reasoned(ReasonLinkLocal, err))
	case errors.Is(err, ErrPrivateAddress):
		return steps.Terminal(steps.Reasoned(ReasonPrivateAddress, err))
	}
	return nil
}

// Dial connects to address (host:port) for project's requests that are not HTTP, such as
// send-message's SMTP: the host must be one the project's allowlist names (the URL
// scheme://host:port is checked), and no connection goes to a loopback, private or
// link-local address the allowlist does not name. A refusal wraps ErrHostNotAllowed,
// ErrPrivateAddress or ErrLinkLocal, which Refused turns into a step error.
func (o ClientOptions) Dial(ctx context.Context, project, scheme, address string) (net.Conn, error) {
	if err := o.checkHost(project, &url.URL{Scheme: scheme, Host: address}); err != nil {
		return nil, err
	}
	return o.dialContext(project)(ctx, "tcp", address)
}
