package gateway

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/callout"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
)

// Options tune the gateway.
type Options struct {
	// Addr is where the API listens. Default $DRAY_GATEWAY_ADDR, else :8080.
	Addr string
	// Mounts are extra handlers by path prefix (dray up --demo mounts its git server on /git/).
	Mounts map[string]http.Handler
	// Ready, when set, receives the address the gateway listens on once it does.
	Ready chan<- string
	// TLSCert and TLSKey, when set, make the gateway serve HTTPS with this key pair.
	TLSCert, TLSKey string
	// Route maps step kinds to executors when extra executors add kinds (as the scheduler's
	// Route does); apply accepts the kinds it routes. Default steps.ExecutorFor.
	Route func(uses string) (string, bool)
	// OIDC turns on sign-in with an OIDC provider (oidc.go).
	OIDC OIDCOptions
	// NATSCalloutSeed is the file of the account seed that signs the NATS auth callout's
	// answers (dray nats config keeps it as <seeds dir>/callout.nk): with it the gateway
	// answers the callout, so API tokens connect to NATS (pkg/callout). Default
	// $DRAY_NATS_CALLOUT_SEED; none: it does not.
	NATSCalloutSeed string
	// CalloutIssuer, when set, is that key itself (dray up keeps it in memory).
	CalloutIssuer nkeys.KeyPair
	// NATSCalloutXKey is the file of the curve key seed the server encrypts its callout
	// requests to (auth_callout's xkey; dray nats config keeps it as <seeds dir>/callout-xkey.nk):
	// with it the gateway opens encrypted requests and encrypts its answers. Default
	// $DRAY_NATS_CALLOUT_XKEY; none: requests and answers go unencrypted.
	NATSCalloutXKey string
	// CalloutXKey, when set, is that key itself (dray up keeps it in memory).
	CalloutXKey nkeys.KeyPair
	// NATSSystemNKey is the nkey seed file of the system account's user (bus.RoleSystem,
	// dray nats config keeps it as <seeds dir>/system.nk): with it the gateway disconnects the
	// NATS connections of a token at once when the token is revoked, deleted or expires.
	// Default $DRAY_NATS_SYSTEM_NKEY; none: they last until their NATS user expires
	// (callout.DefaultMaxAge).
	NATSSystemNKey string
	// CalloutKick, when set, disconnects those connections instead (dray up: in process).
	CalloutKick callout.Kicker
	// Gatherer is what /metrics serves. Default the service's own registry (Deps.Metrics);
	// dray up passes every service's, so one scrape reads them all.
	Gatherer prometheus.Gatherer
	// PreviewSteps, when set, builds the steps the UI's promote preview runs (pkg/preview:
	// the git and config executors' steps, with d's Secrets), so the preview shows the diff
	// git-push would push, as dray run --diff does. Default the git and config executors'
	// steps built through their New (previewsteps.go); dray up passes them with its clone
	// cache.
	PreviewSteps func(d service.Deps) ([]*steps.Registry, error)
	// GitTransports are allowed for the preview's Git remotes beyond https, http and ssh
	// (--allow-git-transport, default $DRAY_ALLOW_GIT_TRANSPORT), as the git executor's.
	GitTransports gitrepo.Transports
	// ArgoCDURL is the Argo CD UI's address: a Promotion's page links the Applications
	// argocd-update synced into it. Default $DRAY_ARGOCD_URL; none: it names them only.
	ArgoCDURL string
}

// BindFlags registers the options as flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	addr := os.Getenv("DRAY_GATEWAY_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	fs.StringVar(&o.Addr, "addr", addr, "address of the HTTP API")
	fs.StringVar(&o.TLSCert, "tls-cert", os.Getenv("DRAY_TLS_CERT"), "certificate file: serve HTTPS ($DRAY_TLS_CERT)")
	fs.StringVar(&o.TLSKey, "tls-key", os.Getenv("DRAY_TLS_KEY"), "key file of --tls-cert ($DRAY_TLS_KEY)")
	fs.StringVar(&o.NATSCalloutSeed, "nats-callout-seed", os.Getenv("DRAY_NATS_CALLOUT_SEED"),
		"account seed file that signs NATS auth callout answers: API tokens may then connect to NATS ($DRAY_NATS_CALLOUT_SEED; see dray nats config)")
	fs.StringVar(&o.NATSCalloutXKey, "nats-callout-xkey", os.Getenv("DRAY_NATS_CALLOUT_XKEY"),
		"curve key seed file the NATS server encrypts auth callout requests to (auth_callout xkey): answers are encrypted too ($DRAY_NATS_CALLOUT_XKEY; see dray nats config)")
	fs.StringVar(&o.NATSSystemNKey, "nats-system-nkey", os.Getenv("DRAY_NATS_SYSTEM_NKEY"),
		"nkey seed file of the NATS system account's user: a revoked API token's NATS connections are then closed at once ($DRAY_NATS_SYSTEM_NKEY; see dray nats config)")
	fs.StringVar(&o.ArgoCDURL, "argocd-url", os.Getenv("DRAY_ARGOCD_URL"),
		"the Argo CD UI's address: the web UI links the Applications a Promotion synced into it ($DRAY_ARGOCD_URL)")
	o.GitTransports.BindFlag(fs)
	o.OIDC.BindFlags(fs)
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	var errs []error
	if o.Addr == "" {
		errs = append(errs, errors.New("--addr must not be empty"))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	errs = append(errs, CheckArgoCDURL(o.ArgoCDURL))
	errs = append(errs, o.OIDC.Validate())
	return errors.Join(errs...)
}

// CheckArgoCDURL reports an --argocd-url that is not an http(s) address (the UI links into
// it); empty is fine.
func CheckArgoCDURL(s string) error {
	if u, err := url.Parse(s); s != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return fmt.Errorf("--argocd-url %q is not the Argo CD UI's http(s) address", s)
	}
	return nil
}

// newHandler builds the gateway's routes: health and metrics, the API and webhook routes
// (behind the name check of checkedMux), and the extra mounts.
//
// /metrics needs a token, of any role: metrics hold no secret values, but they name projects
// and Stages, so they are not for anyone who can reach the port. A Prometheus scrape config
// sends one with authorization.credentials_file (README.md, "Access control"). Mounts guard
// themselves (dray up's demo Git server refuses pushes without the admin token).
func newHandler(a *api, gatherer prometheus.Gatherer, mounts map[string]http.Handler) *checkedMux {
	if a.metrics == nil {
		a.metrics, _ = newMetrics(nil) // counted unseen; a nil registry cannot fail
	}
	mux := newCheckedMux(a.auth)
	failures, err := audit.NewFailures(a.Metrics)
	if err != nil {
		a.Log.Warn("failed audit appends are not counted", "err", err)
	}
	mux.audit = &auditor{bus: a.Bus, log: a.Log, failures: failures}
	mux.Handle("/healthz", public(), service.HealthHandler(gatherer, a.Bus))
	mux.Handle("/readyz", public(), service.HealthHandler(gatherer, a.Bus))
	mux.Handle("/metrics", anyIdentity(), service.HealthHandler(gatherer, a.Bus))
	a.routes(mux)
	a.webRoutes(mux)        // the web UI at / (webpages.go)
	oidcRoutes(mux, a.auth) // /auth/…: browser sign-in
	for prefix, h := range mounts {
		mux.Handle(prefix, public(), h)
	}
	return mux
}

// Run serves the API until ctx ends.
func Run(ctx context.Context, opts Options, d service.Deps) error {
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	gatherer := opts.Gatherer
	if gatherer == nil {
		gatherer, _ = d.Metrics.(prometheus.Gatherer)
	}
	if gatherer == nil {
		gatherer = prometheus.NewRegistry()
	}
	auth, err := newAuthn(ctx, d.Bus)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("load tokens and roles: %w", err)
	}
	// The UI's token sessions outlive a restart when the session key is kept in a file.
	if auth.web, err = newSessions(opts.OIDC.SessionKeyFile); err != nil {
		_ = ln.Close()
		return err
	}
	auth.secure = opts.TLSCert != "" || strings.HasPrefix(opts.OIDC.ExternalURL, "https://")
	if opts.OIDC.Issuer != "" {
		if opts.OIDC.ExternalURL == "" {
			scheme := "http://"
			if opts.TLSCert != "" {
				scheme = "https://"
			}
			opts.OIDC.ExternalURL = scheme + ln.Addr().String()
		}
		o, err := newOIDC(ctx, opts.OIDC)
		if err != nil {
			_ = ln.Close()
			return err
		}
		auth.oidc.Store(o)
	}
	if err := serveCallout(ctx, opts, d, auth); err != nil {
		_ = ln.Close()
		return err
	}
	m, err := newMetrics(d.Metrics)
	if err != nil {
		_ = ln.Close()
		return err
	}
	a := &api{Deps: d, route: opts.Route, auth: auth, metrics: m, argoCD: opts.ArgoCDURL}
	if a.previewSteps, err = buildPreviewSteps(opts, d); err != nil {
		_ = ln.Close()
		return err
	}
	mux := newHandler(a, gatherer, opts.Mounts)
	srv := &http.Server{Handler: m.instrument(d.Bus.Tracer(), mux), ReadHeaderTimeout: 10 * time.Second}
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	a.streams = streams
	srv.RegisterOnShutdown(endStreams)
	errs := make(chan error, 1)
	go func() {
		if opts.TLSCert != "" {
			errs <- srv.ServeTLS(ln, opts.TLSCert, opts.TLSKey)
			return
		}
		errs <- srv.Serve(ln)
	}()
	d.Log.Info("gateway listening", "addr", ln.Addr().String())
	if opts.Ready != nil {
		opts.Ready <- ln.Addr().String()
	}
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}

// serveCallout answers the NATS auth callout with the tokens and roles auth follows, when the
// options give its key.
func serveCallout(ctx context.Context, opts Options, d service.Deps, auth *authn) error {
	issuer := opts.CalloutIssuer
	if issuer == nil && opts.NATSCalloutSeed != "" {
		var err error
		if issuer, err = bus.ReadSeed(opts.NATSCalloutSeed); err != nil {
			return fmt.Errorf("--nats-callout-seed: %w", err)
		}
	}
	if issuer == nil {
		return nil
	}
	xkey := opts.CalloutXKey
	if xkey == nil && opts.NATSCalloutXKey != "" {
		var err error
		if xkey, err = bus.ReadSeed(opts.NATSCalloutXKey); err != nil {
			return fmt.Errorf("--nats-callout-xkey: %w", err)
		}
		if pub, _ := xkey.PublicKey(); !nkeys.IsValidPublicCurveKey(pub) {
			return fmt.Errorf("--nats-callout-xkey %s: not a curve key seed (dray nats config keeps one as callout-xkey.nk)", opts.NATSCalloutXKey)
		}
	}
	metrics, err := callout.NewMetrics(d.Metrics)
	if err != nil {
		return err
	}
	failures, err := audit.NewFailures(d.Metrics)
	if err != nil {
		return err
	}
	c := &callout.Callout{Issuer: issuer, XKey: xkey, Tokens: auth.tokens, Policy: auth.policies.Get, Log: d.Log, Kick: opts.CalloutKick,
		Metrics: metrics, Audit: func(ctx context.Context, rec *v1.AuditRecord) {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := audit.Append(ctx, d.Bus, rec, ""); err != nil {
				failures.Inc(v1.AuditSourceBus)
				d.Log.Error("refused NATS client not recorded in the audit trail", "err", err, "id", rec.ID,
					"project", rec.Project, "name", rec.Name, "host", rec.RemoteAddr, "reason", rec.Reason)
			}
		}}
	if c.Kick == nil && opts.NATSSystemNKey != "" {
		nc, err := connectSystem(ctx, d.Bus.Conn, opts.NATSSystemNKey)
		if err != nil {
			return err
		}
		c.Kick = callout.SystemKicker{Conn: nc}
	}
	if c.Kick == nil {
		d.Log.Warn("no --nats-system-nkey: the NATS connections of a revoked API token stay open until their NATS user expires", "max", callout.DefaultMaxAge)
	}
	return c.Serve(ctx, d.Bus.Conn)
}

// connectSystem connects to the servers of nc, with its TLS, as the system account's user of
// the seed file, until ctx ends.
func connectSystem(ctx context.Context, nc *nats.Conn, seed string) (*nats.Conn, error) {
	auth, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("--nats-system-nkey: %w", err)
	}
	o := nc.Opts
	o.Name = "dray-gateway-system"
	o.InboxPrefix = bus.InboxPrefix(bus.RoleSystem)
	o.User, o.Password, o.Token, o.TokenHandler, o.UserJWT = "", "", "", nil, nil
	// The gateway's connection's handlers are its own.
	o.ClosedCB, o.DisconnectedCB, o.DisconnectedErrCB, o.ConnectedCB, o.ReconnectedCB = nil, nil, nil, nil, nil
	o.AsyncErrorCB, o.ReconnectErrCB, o.DiscoveredServersCB, o.LameDuckModeHandler = nil, nil, nil, nil
	if err := auth(&o); err != nil {
		return nil, fmt.Errorf("--nats-system-nkey: %w", err)
	}
	sys, err := o.Connect()
	if err != nil {
		return nil, fmt.Errorf("--nats-system-nkey: connect to NATS as the system account's user: %w", err)
	}
	go func() {
		<-ctx.Done()
		sys.Close()
	}()
	return sys, nil
}
