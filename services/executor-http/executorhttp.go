package executorhttp

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/httpdownload"
	"github.com/drayhq/dray/pkg/steps/httpstep"
	"github.com/drayhq/dray/pkg/steps/ocidownload"
	"github.com/drayhq/dray/pkg/steps/ocipush"
	"github.com/drayhq/dray/pkg/steps/sendmessage"
)

// Name is the executor kind: this service takes the jobs on dray.steps.http.>.
const Name = "http"

// Options are the http executor's options: the job loop's, and the limits on the requests
// its steps make.
type Options struct {
	executor.Options
	// MaxResponseSize is the largest response body the http step reads, in bytes.
	// Default 2 MiB.
	MaxResponseSize int64
	// MaxDownloadSize is the largest file http-download writes, in bytes. Default 100 MiB.
	MaxDownloadSize int64
	// MaxRedirects is how many redirects a request follows; negative follows none.
	// Default 10.
	MaxRedirects int
	// AllowedHosts maps a project ("*" for every project without its own entry) to the hosts
	// its steps may call; a project with no entry may call every host at a public address.
	// Loopback, private, link-local and other special addresses (this host's gateway and
	// NATS, its networks, metadata services) are reached only when an entry names them: the
	// address ("127.0.0.1:8443"), a CIDR ("10.0.0.0/8") or the host name that resolves to
	// them ("gitea.internal"); "*" names every host but none of those. It holds http,
	// http-download and send-message, and oci-download and oci-push too: for those, list the
	// registry and the hosts it sends clients on to (a token service, a blob CDN). See
	// httpstep.ClientOptions.AllowedHosts.
	AllowedHosts map[string][]string
	// CAFile is a PEM file of CAs that verify servers, instead of the system's.
	CAFile string
	// Secrets holds the registry credentials of oci-download and oci-push; nil means they
	// reach registries anonymously. Not a flag: Run sets it from service.Deps.
	Secrets *secret.Store
	// Channels finds the message channels of send-message; nil means it cannot send. Not a
	// flag: Run sets it from service.Deps (see ChannelsOf).
	Channels sendmessage.ChannelResolver
}

// BindFlags registers the options as flags, with defaults from DRAY_HTTP_* variables where
// noted.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	o.Options.BindFlags(fs)
	fs.Int64Var(&o.MaxResponseSize, "http-max-response-size", httpstep.DefaultMaxResponseBytes, "largest response body the http step reads, in bytes")
	fs.Int64Var(&o.MaxDownloadSize, "http-max-download-size", httpdownload.DefaultMaxBytes, "largest file http-download writes, in bytes")
	fs.IntVar(&o.MaxRedirects, "http-max-redirects", httpstep.DefaultMaxRedirects, "redirects a request follows (negative: none)")
	fs.StringVar(&o.CAFile, "http-ca-file", os.Getenv("DRAY_HTTP_CA_FILE"), "PEM file of CAs that verify servers (default: the system's)")
	if v := os.Getenv("DRAY_HTTP_ALLOWED_HOSTS"); v != "" {
		for _, entry := range strings.Fields(v) {
			_ = (*hostsFlag)(&o.AllowedHosts).Set(entry)
		}
	}
	fs.Var((*hostsFlag)(&o.AllowedHosts), "http-allowed-hosts",
		"project=host,host…: the hosts a project's steps may call: names, *.domain, IPs, CIDRs, host:port, or * for every host (project * for all others; repeatable; default every public host; loopback and private addresses only when listed; env DRAY_HTTP_ALLOWED_HOSTS, space-separated)")
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	var errs []error
	if err := o.Options.Validate(); err != nil {
		errs = append(errs, err)
	}
	if o.MaxResponseSize < 0 {
		errs = append(errs, errors.New("--http-max-response-size must not be negative"))
	}
	if o.MaxDownloadSize < 0 {
		errs = append(errs, errors.New("--http-max-download-size must not be negative"))
	}
	if o.CAFile != "" {
		if _, err := o.rootCAs(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// rootCAs reads CAFile; nil when it is unset.
func (o *Options) rootCAs() (*x509.CertPool, error) {
	if o.CAFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(o.CAFile)
	if err != nil {
		return nil, fmt.Errorf("--http-ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--http-ca-file %s: no PEM certificate found", o.CAFile)
	}
	return pool, nil
}

// Steps returns the steps this executor runs, with the default limits.
func Steps() (*steps.Registry, error) { return StepsWith(Options{}) }

// StepsWith returns the steps this executor runs, with the limits of opts.
func StepsWith(opts Options) (*steps.Registry, error) {
	pool, err := opts.rootCAs()
	if err != nil {
		return nil, err
	}
	client := httpstep.ClientOptions{MaxRedirects: opts.MaxRedirects, AllowedHosts: opts.AllowedHosts, RootCAs: pool}
	return steps.NewRegistry(
		httpstep.New(httpstep.Options{ClientOptions: client, MaxResponseBytes: opts.MaxResponseSize}),
		httpdownload.New(httpdownload.Options{ClientOptions: client, MaxBytes: opts.MaxDownloadSize}),
		ocidownload.New(ocidownload.Options{Secrets: opts.Secrets, RootCAs: pool, Guard: client.Guard}),
		ocipush.New(ocipush.Options{Secrets: opts.Secrets, RootCAs: pool, Guard: client.Guard}),
		sendmessage.New(sendmessage.Options{ClientOptions: client, Channels: opts.Channels}),
	)
}

// New builds the http executor with the limits of opts: oci-download and oci-push use the
// registry credentials in opts.Secrets (default d.Secrets), and send-message finds its
// channels with opts.Channels (default ChannelsOf(d) when d has a bus; none under dray run).
func New(opts Options, d service.Deps) (*executor.Executor, error) {
	if opts.Secrets == nil {
		opts.Secrets = d.Secrets
	}
	if opts.Channels == nil && d.Bus != nil {
		opts.Channels = ChannelsOf(d)
	}
	reg, err := StepsWith(opts)
	if err != nil {
		return nil, err
	}
	return &executor.Executor{Name: Name, Steps: reg}, nil
}

// Run serves the steps, and delivers the events EventRouters route (Notifier), until ctx
// ends.
func Run(ctx context.Context, opts Options, d service.Deps) error {
	x, err := New(opts, d)
	if err != nil {
		return err
	}
	return ServeWithNotifier(ctx, opts, d, func(ctx context.Context) error { return x.Serve(ctx, opts.Options, d, nil) })
}

// ServeWithNotifier runs serve (the executor's job loop) and, when d has a bus, the Notifier
// beside it, until ctx ends or either fails; it returns the first error. dray up calls it
// with the executor it builds.
func ServeWithNotifier(ctx context.Context, opts Options, d service.Deps, serve func(context.Context) error) error {
	if d.Bus == nil {
		return serve(ctx)
	}
	n, err := NewNotifier(opts, d)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- serve(ctx) }()
	go func() { errs <- n.Run(ctx) }()
	first := <-errs
	cancel()
	second := <-errs
	if first != nil {
		return first
	}
	return second
}

// ParseAllowedHosts reads values of --http-allowed-hosts (project=host,host…) into the map
// Options.AllowedHosts holds, for commands that take the option through another flag
// package (dray up, dray run). An empty list yields nil: every public host.
func ParseAllowedHosts(values []string) (map[string][]string, error) {
	var hosts hostsFlag
	for _, v := range values {
		if err := hosts.Set(v); err != nil {
			return nil, fmt.Errorf("--http-allowed-hosts %w", err)
		}
	}
	return hosts, nil
}

// hostsFlag is --http-allowed-hosts: each value is project=host,host….
type hostsFlag map[string][]string

func (f *hostsFlag) String() string {
	if f == nil || *f == nil {
		return ""
	}
	var parts []string
	for p, hosts := range *f {
		parts = append(parts, p+"="+strings.Join(hosts, ","))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func (f *hostsFlag) Set(v string) error {
	project, list, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(project) == "" {
		return fmt.Errorf("%q: want project=host,host…", v)
	}
	if *f == nil {
		*f = map[string][]string{}
	}
	hosts := (*f)[project]
	if hosts == nil {
		hosts = []string{} // an entry with no hosts allows none
	}
	for _, h := range strings.Split(list, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	(*f)[project] = hosts
	return nil
}
