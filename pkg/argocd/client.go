package argocd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultNamespace is the namespace of Applications when neither the step nor the
// configuration names one.
const DefaultNamespace = "argocd"

// DefaultTimeout bounds one request when Config.Timeout is 0: 30s.
const DefaultTimeout = 30 * time.Second

// maxResponseBytes bounds what the client reads of one response: 8 MiB.
const maxResponseBytes = 8 << 20

// Config says how to reach an Argo CD API server.
type Config struct {
	// Server is the API server's base URL, https://host[:port][/path].
	Server string
	// Token is the bearer token (an Argo CD account or project token). It is sent only in
	// the Authorization header and never appears in errors.
	Token string
	// Namespace is where Applications live when a step names none. Default "argocd".
	Namespace string
	// InsecureSkipTLSVerify skips verification of the server's certificate. Default false.
	InsecureSkipTLSVerify bool
	// CA is a PEM bundle of certificate authorities to trust instead of the system's.
	CA []byte
	// Timeout bounds each request. Default DefaultTimeout.
	Timeout time.Duration
}

// Configured reports whether a server is set.
func (c Config) Configured() bool { return c.Server != "" }

// Client calls one Argo CD API server. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	token     string
	namespace string
	http      *http.Client
}

// New returns a Client for cfg. It fails when the server URL is not https, the token is empty
// or the CA bundle holds no certificate.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(cfg.Server, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("argocd: server %q is not a URL", cfg.Server)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("argocd: server %s must use https: the token is a credential", u.Redacted())
	}
	if cfg.Token == "" {
		return nil, errors.New("argocd: no token configured")
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipTLSVerify} //nolint:gosec // an explicit operator choice
	if len(cfg.CA) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CA) {
			return nil, errors.New("argocd: the CA bundle holds no PEM certificate")
		}
		tlsCfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ns := cfg.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	return &Client{base: u, token: cfg.Token, namespace: ns, http: &http.Client{
		Transport: tr, Timeout: timeout,
		// The token must not follow a redirect to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// Server returns the server's URL, for messages.
func (c *Client) Server() string { return c.base.Redacted() }

// Namespace returns ns, or the client's default namespace when ns is empty.
func (c *Client) Namespace(ns string) string {
	if ns == "" {
		return c.namespace
	}
	return ns
}

// Get returns the Application name in namespace ns (the default namespace when empty). A
// missing Application is an error wrapping ErrNotFound.
func (c *Client) Get(ctx context.Context, name, ns string) (*Application, error) {
	return c.get(ctx, name, ns, "")
}

// Refresh asks Argo CD to compare the Application with its sources again (hard also
// regenerates manifests) and returns the Application.
func (c *Client) Refresh(ctx context.Context, name, ns string, hard bool) (*Application, error) {
	mode := "normal"
	if hard {
		mode = "hard"
	}
	return c.get(ctx, name, ns, mode)
}

func (c *Client) get(ctx context.Context, name, ns, refresh string) (*Application, error) {
	q := url.Values{"appNamespace": {c.Namespace(ns)}}
	if refresh != "" {
		q.Set("refresh", refresh)
	}
	var app Application
	if err := c.do(ctx, http.MethodGet, "/api/v1/applications/"+url.PathEscape(name), q, nil, &app); err != nil {
		return nil, err
	}
	return &app, nil
}

// List returns the Applications in namespace ns that match the label selector (Kubernetes
// syntax, e.g. "app=web,env in (prod)"); an empty selector matches all.
func (c *Client) List(ctx context.Context, ns, selector string) ([]Application, error) {
	q := url.Values{"appNamespace": {c.Namespace(ns)}}
	if selector != "" {
		q.Set("selector", selector)
	}
	var list struct {
		Items []Application `json:"items"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/applications", q, nil, &list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// UpdateSpec replaces the Application's spec (PUT /api/v1/applications/{name}/spec). Pass
// the Application's RawSpec, changed, so that fields Dray does not model survive.
func (c *Client) UpdateSpec(ctx context.Context, name, ns string, spec map[string]any) error {
	q := url.Values{"appNamespace": {c.Namespace(ns)}, "validate": {"true"}}
	return c.do(ctx, http.MethodPut, "/api/v1/applications/"+url.PathEscape(name)+"/spec", q, spec, nil)
}

// Sync starts a sync operation (POST /api/v1/applications/{name}/sync) and returns the
// Application as the server answered it.
func (c *Client) Sync(ctx context.Context, req SyncRequest) (*Application, error) {
	req.AppNamespace = c.Namespace(req.AppNamespace)
	var app Application
	if err := c.do(ctx, http.MethodPost, "/api/v1/applications/"+url.PathEscape(req.Name)+"/sync", nil, req, &app); err != nil {
		return nil, err
	}
	return &app, nil
}

// do sends one request and decodes a 2xx JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath = ""
	if strings.Contains(path, "%") {
		u.RawPath = strings.TrimSuffix(c.base.EscapedPath(), "/") + path
	}
	u.RawQuery = q.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("argocd: encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("argocd: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("argocd: %s %s%s: %w", method, c.Server(), path, c.redact(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("argocd: %s %s%s: read response: %w", method, c.Server(), path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.apiError(method, path, resp.StatusCode, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("argocd: %s %s%s: decode response: %w", method, c.Server(), path, err)
	}
	return nil
}

// redact removes the token from err's text, in case a transport echoes a header.
func (c *Client) redact(err error) error {
	if c.token == "" || !strings.Contains(err.Error(), c.token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.token, "[redacted]"))
}
