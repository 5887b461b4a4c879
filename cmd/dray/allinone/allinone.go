package allinone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/callout"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/token"
	"github.com/drayhq/dray/pkg/workspace"
	executorargocd "github.com/drayhq/dray/services/executor-argocd"
	executorconfig "github.com/drayhq/dray/services/executor-config"
	executorcontainer "github.com/drayhq/dray/services/executor-container"
	executorgit "github.com/drayhq/dray/services/executor-git"
	executorhttp "github.com/drayhq/dray/services/executor-http"
	"github.com/drayhq/dray/services/gateway"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
	"github.com/drayhq/dray/services/warehouse"
)

// Options configure an all-in-one Dray.
type Options struct {
	// DataDir holds NATS data, workspace caches and the git clone cache. Default ./.dray.
	DataDir string
	// Addr is the gateway's address. Default 127.0.0.1:8080; use 127.0.0.1:0 for a free port.
	Addr string
	// TLSCert and TLSKey make the gateway serve HTTPS.
	TLSCert, TLSKey string
	// OIDC turns on sign-in with an OIDC provider at the gateway. Its session key defaults
	// to <DataDir>/session.key.
	OIDC gateway.OIDCOptions
	// NATSPort is where the embedded NATS also listens for outside clients; -1 picks a free
	// port. Default 4222.
	NATSPort int
	// Log receives every service's logs. Default slog.Default().
	Log *slog.Logger
	// Executor tunes every executor.
	Executor executor.Options
	// Mounts are extra gateway handlers by path prefix.
	Mounts map[string]http.Handler
	// Executors are extra executors to run beside the built-in ones (benchmarks and tests).
	Executors []Executor
	// Route maps step kinds to executors, when Executors add kinds. Default steps.ExecutorFor.
	Route func(uses string) (string, bool)
	// GitTransports are allowed for Git remotes (git steps and Warehouses) beyond https,
	// http and ssh. Default none.
	GitTransports gitrepo.Transports
	// HTTPAllowedHosts is the http executor's per-project host allowlist
	// (executorhttp.Options.AllowedHosts). Default nil: every public host, and no loopback
	// or private address.
	HTTPAllowedHosts map[string][]string
	// ContainerHostNetwork are the projects ("*" for all) whose CustomPromotionSteps may
	// take the host's network (executorcontainer.Options.HostNetwork). Default none.
	ContainerHostNetwork []string
	// KeepPromotions is the state service's retention of finished Promotions per Stage
	// (state.Options.KeepPromotions; 0: 20, negative: all).
	KeepPromotions int
	// Resync is how often the scheduler evaluates auto-promotion everywhere
	// (scheduler.Options.Resync; 0: 5m, negative: never).
	Resync time.Duration
	// AuditMaxAge is how long DRAY_AUDIT keeps records (bus.Options.AuditMaxAge; 0: a year).
	AuditMaxAge time.Duration
	// ArgoCDURL is the Argo CD UI's address, where the web UI links the Applications a
	// Promotion synced (gateway.Options.ArgoCDURL). Default none.
	ArgoCDURL string
	// TracerProvider records every service's spans. Default: each service's own, from the
	// standard OTEL_* environment (service.Tracing), which is off unless set.
	TracerProvider trace.TracerProvider
}

// Executor is an extra executor: its kind and its steps.
type Executor struct {
	Name  string
	Steps *steps.Registry
	// Build, when Steps is nil, makes the steps from the service's dependencies, e.g. to give
	// them the secret store.
	Build func(service.Deps) (*steps.Registry, error)
}

// Instance is a running all-in-one Dray.
type Instance struct {
	// URL is the gateway's base URL.
	URL string
	// AdminToken is the system-admin token kept in <DataDir>/admin.token (AdminTokenFile),
	// made on first start.
	AdminToken string
	// NATS is the embedded server.
	NATS *server.Server
	// Registries hold each service's metrics by service name (state, scheduler, gateway,
	// executor-git …), as each would export them in its own process; the gateway's /metrics
	// serves them all.
	Registries map[string]*prometheus.Registry

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
	conns   []*nats.Conn
	users   *bus.Users
	tracers []*sdktrace.TracerProvider // made from the OTEL_* environment; Stop flushes them
}

// Connect connects to the embedded NATS in this process as the admin, who may do everything
// (tests, benchmarks). name identifies the connection.
func (in *Instance) Connect(name string, opts ...nats.Option) (*nats.Conn, error) {
	auth, err := in.users.ConnectOptions(bus.RoleAdmin)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect("", append(append(auth, nats.InProcessServer(in.NATS), nats.Name(name)), opts...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded NATS as admin: %w", err)
	}
	return nc, nil
}

// AdminNKeyFile is where Start keeps the nkey seed of the embedded NATS's admin user in
// dataDir (mode 0600): nats --nkey <file> … works against dray up.
func AdminNKeyFile(dataDir string) string { return filepath.Join(dataDir, "nats-admin.nk") }

// Start starts NATS and every service, and returns once the gateway listens.
func Start(ctx context.Context, o Options) (*Instance, error) {
	if o.DataDir == "" {
		o.DataDir = ".dray"
	}
	if o.OIDC.Issuer != "" && o.OIDC.SessionKeyFile == "" {
		o.OIDC.SessionKeyFile = filepath.Join(o.DataDir, "session.key")
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	port := o.NATSPort
	if port == 0 {
		port = 4222
	}
	gitCache, err := gitrepo.NewCache(filepath.Join(o.DataDir, "git-clones"))
	if err != nil {
		return nil, err
	}
	secretsKey, err := secret.EnsureKey(filepath.Join(o.DataDir, "secrets.key"))
	if err != nil {
		return nil, err
	}
	// API tokens connect through the auth callout the gateway answers, signed with a key
	// made now: the server and the gateway live and die together.
	calloutKey, err := nkeys.CreateAccount()
	if err != nil {
		return nil, fmt.Errorf("make the NATS auth callout key: %w", err)
	}
	// …and its requests, which carry the tokens, are encrypted to this one (auth_callout xkey).
	calloutXKey, err := nkeys.CreateCurveKeys()
	if err != nil {
		return nil, fmt.Errorf("make the NATS auth callout xkey: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	in := &Instance{cancel: cancel, Registries: map[string]*prometheus.Registry{}}
	process := prometheus.NewRegistry()
	process.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gatherers := prometheus.Gatherers{process}
	var shared *workspace.Store // set with the first bus, before any executor starts
	ready := make(chan string, 1)
	listening := make(chan struct{}) // closed once in.URL is the gateway's

	type svc struct {
		name string
		run  func(context.Context, service.Deps) error
	}
	execOpts := o.Executor
	argocdOpts := executorargocd.OptionsFromEnv() // DRAY_ARGOCD_*
	// Every executor is built with its service's New, as its own main builds it; dray up
	// gives them one clone cache and one workspace cache in its data directory.
	type exec struct {
		name  string
		build func(context.Context, service.Deps) (*executor.Executor, error)
	}
	execs := []exec{
		{executorgit.Name, func(_ context.Context, d service.Deps) (*executor.Executor, error) {
			return executorgit.New(executorgit.Options{Options: execOpts, Transports: o.GitTransports, Cache: gitCache}, d)
		}},
		{executorconfig.Name, func(_ context.Context, d service.Deps) (*executor.Executor, error) {
			return executorconfig.New(d)
		}},
		{executorargocd.Name, func(_ context.Context, d service.Deps) (*executor.Executor, error) {
			return executorargocd.New(argocdOpts, d)
		}},
		{executorhttp.Name, func(_ context.Context, d service.Deps) (*executor.Executor, error) {
			return executorhttp.New(executorhttp.Options{AllowedHosts: o.HTTPAllowedHosts}, d)
		}},
		{executorcontainer.Name, func(ctx context.Context, d service.Deps) (*executor.Executor, error) {
			return executorcontainer.New(ctx, executorcontainer.Options{
				Executor: execOpts, ImageCache: filepath.Join(o.DataDir, "images"), RuncRoot: filepath.Join(o.DataDir, "runc"),
				HostNetwork: o.ContainerHostNetwork,
			}, d)
		}},
	}
	for _, e := range o.Executors {
		execs = append(execs, exec{e.Name, func(_ context.Context, d service.Deps) (*executor.Executor, error) {
			reg := e.Steps
			if reg == nil {
				var err error
				if reg, err = e.Build(d); err != nil {
					return nil, err
				}
			}
			return &executor.Executor{Name: e.Name, Steps: reg}, nil
		}})
	}
	services := []svc{
		{"state", func(ctx context.Context, d service.Deps) error {
			return state.Run(ctx, state.Options{KeepPromotions: o.KeepPromotions}, d)
		}},
		{"scheduler", func(ctx context.Context, d service.Deps) error {
			// ctx.uiBaseUrl is --external-url, else the gateway's address once it listens.
			ui := strings.TrimRight(o.OIDC.ExternalURL, "/")
			if ui == "" {
				select {
				case <-listening:
					ui = in.URL
				case <-ctx.Done():
					return nil
				}
			}
			return scheduler.Run(ctx, scheduler.Options{Route: o.Route, Resync: o.Resync, UIBaseURL: ui}, d)
		}},
		{"warehouse", func(ctx context.Context, d service.Deps) error {
			return warehouse.Run(ctx, warehouse.Options{GitTransports: o.GitTransports}, d)
		}},
		{"argocd-health", func(ctx context.Context, d service.Deps) error {
			clients, err := executorargocd.Provider(argocdOpts, d)
			if err != nil {
				return err
			}
			return executorargocd.RunHealth(ctx, argocdOpts, d, clients)
		}},
		{"gateway", func(ctx context.Context, d service.Deps) error {
			return gateway.Run(ctx, gateway.Options{Addr: o.Addr, Mounts: o.Mounts, Ready: ready, Route: o.Route, TLSCert: o.TLSCert, TLSKey: o.TLSKey, OIDC: o.OIDC,
				CalloutIssuer: calloutKey, CalloutXKey: calloutXKey, CalloutKick: callout.ServerKicker{Server: in.NATS}, Gatherer: gatherers, ArgoCDURL: o.ArgoCDURL,
				PreviewSteps: func(d service.Deps) ([]*steps.Registry, error) { // the UI's promote preview
					git, err := executorgit.New(executorgit.Options{Options: execOpts, Transports: o.GitTransports, Cache: gitCache}, d)
					if err != nil {
						return nil, err
					}
					config, err := executorconfig.New(d)
					if err != nil {
						return nil, err
					}
					return []*steps.Registry{git.Steps, config.Steps}, nil
				}}, d)
		}},
	}
	for _, e := range execs {
		services = append(services, svc{"executor-" + e.name, func(ctx context.Context, d service.Deps) error {
			x, err := e.build(ctx, d)
			if err != nil {
				return err
			}
			if e.name == executorhttp.Name {
				// The http executor also delivers the events EventRouters route.
				return executorhttp.ServeWithNotifier(ctx, executorhttp.Options{Options: execOpts, AllowedHosts: o.HTTPAllowedHosts}, d,
					func(ctx context.Context) error { return x.Serve(ctx, execOpts, d, shared) })
			}
			return x.Serve(ctx, execOpts, d, shared)
		}})
	}
	// Every service connects as its own NATS user (pkg/bus/README.md "Who may do what on the
	// bus"), with an nkey made now and kept in memory; the admin's seed is kept in the data
	// directory for people and outside tools (nats --nkey).
	roles := make([]string, len(services))
	for i, s := range services {
		roles[i] = s.name
		in.Registries[s.name] = prometheus.NewRegistry()
		gatherers = append(gatherers, in.Registries[s.name])
	}
	users, err := bus.NewUsers(roles...)
	if err != nil {
		cancel()
		return nil, err
	}
	adminKey, err := bus.EnsureSeed(AdminNKeyFile(o.DataDir))
	if err != nil {
		cancel()
		return nil, err
	}
	if err := users.Add(bus.RoleAdmin, adminKey); err != nil {
		cancel()
		return nil, err
	}
	if err := users.UseCallout(calloutKey); err != nil {
		cancel()
		return nil, err
	}
	if err := users.UseCalloutXKey(calloutXKey); err != nil {
		cancel()
		return nil, err
	}
	in.users = users
	if in.NATS, err = bus.StartEmbedded(bus.EmbeddedOptions{Dir: filepath.Join(o.DataDir, "nats"), Port: port, Users: users}); err != nil {
		cancel()
		return nil, err
	}
	// The admin declares the layout (the only user who may change its configuration) and
	// makes the admin token before any service starts.
	adminConn, err := in.Connect("dray-admin")
	if err != nil {
		in.Stop()
		return nil, err
	}
	in.conns = append(in.conns, adminConn)
	// Every connection declares the layout with the same options: only the admin may change
	// it, and a service that asked for another configuration would wait for the change.
	busOpts := bus.Options{AuditMaxAge: o.AuditMaxAge}
	admin, err := bus.New(ctx, adminConn, busOpts)
	if err != nil {
		in.Stop()
		return nil, err
	}
	// Before the gateway serves: its first request may carry this token.
	if in.AdminToken, err = token.NewStore(admin.Tokens).EnsureAdminFile(ctx, AdminTokenFile(o.DataDir), "admin"); err != nil {
		in.Stop()
		return nil, err
	}
	for i, s := range services {
		auth, err := users.ConnectOptions(s.name)
		if err != nil {
			in.Stop()
			return nil, err
		}
		nc, err := nats.Connect("", append(auth, nats.InProcessServer(in.NATS), nats.Name("dray-"+s.name), nats.MaxReconnects(-1),
			nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
				o.Log.Warn("NATS error", "service", s.name, "err", err) // e.g. a permissions violation
			}))...)
		if err != nil {
			in.Stop()
			return nil, fmt.Errorf("connect %s to embedded NATS: %w", s.name, err)
		}
		in.conns = append(in.conns, nc)
		tp := o.TracerProvider
		if tp == nil {
			sdk, err := service.Tracing(ctx, "dray-"+s.name)
			if err != nil {
				in.Stop()
				return nil, err
			}
			if sdk != nil {
				tp = sdk
				in.tracers = append(in.tracers, sdk)
			}
		}
		opts := busOpts
		opts.TracerProvider = tp
		b, err := bus.New(ctx, nc, opts)
		if err != nil {
			in.Stop()
			return nil, err
		}
		d := service.Deps{Log: o.Log.With("service", s.name), Bus: b, Metrics: in.Registries[s.name]}
		if d.Secrets, err = secret.NewStore(b.Secrets, secretsKey); err != nil {
			in.Stop()
			return nil, err
		}
		if i == 0 {
			// Encrypted with the secrets key: dray up always has one (README "Workspaces").
			if shared, err = workspace.New(b.Workspaces, filepath.Join(o.DataDir, "workspaces"), workspace.WithKey(d.Secrets.WorkspaceKey())); err != nil {
				in.Stop()
				return nil, err
			}
		}
		in.wg.Go(func() {
			if err := s.run(ctx, d); err != nil && ctx.Err() == nil {
				d.Log.Error("service stopped", "err", err)
				in.mu.Lock()
				in.errs = append(in.errs, fmt.Errorf("%s: %w", s.name, err))
				in.mu.Unlock()
				cancel()
			}
		})
	}
	select {
	case addr := <-ready:
		scheme := "http://"
		if o.TLSCert != "" {
			scheme = "https://"
		}
		in.URL = scheme + hostPort(addr)
		close(listening)
	case <-ctx.Done():
		in.Stop()
		return nil, errors.Join(append(in.errs, errors.New("dray stopped before the gateway listened"))...)
	case <-time.After(30 * time.Second):
		in.Stop()
		return nil, errors.New("gateway did not start within 30s")
	}
	return in, nil
}

// AdminTokenFile is where Start keeps the system-admin token of dataDir (mode 0600).
func AdminTokenFile(dataDir string) string { return filepath.Join(dataDir, "admin.token") }

// Wait blocks until the instance stops, and returns why if a service failed.
func (in *Instance) Wait() error {
	in.wg.Wait()
	in.mu.Lock()
	defer in.mu.Unlock()
	return errors.Join(in.errs...)
}

// Stop stops every service and NATS.
func (in *Instance) Stop() {
	in.cancel()
	in.wg.Wait()
	for _, tp := range in.tracers {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = tp.Shutdown(ctx) // sends the spans still buffered
		cancel()
	}
	for _, nc := range in.conns {
		nc.Close()
	}
	if in.NATS != nil {
		in.NATS.Shutdown()
		in.NATS.WaitForShutdown()
	}
}

// hostPort makes a listen address dialable: ":8080" becomes "127.0.0.1:8080".
func hostPort(addr string) string {
	if len(addr) > 0 && addr[0] == ':' {
		return "127.0.0.1" + addr
	}
	if h := addr; len(h) > 5 && h[:5] == "[::]:" {
		return "127.0.0.1" + h[4:]
	}
	return addr
}

func must(r *steps.Registry, err error) *steps.Registry {
	if err != nil {
		panic(err) // built-in registries are fixed: a duplicate is a programming error
	}
	return r
}
