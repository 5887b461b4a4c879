package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/secret"
)

// Deps are what every service runs with.
type Deps struct {
	Log     *slog.Logger
	Bus     *bus.Bus
	Metrics prometheus.Registerer
	// Secrets reads and writes the project Secrets; nil when the service was started without
	// a secrets key, and then whatever needs a secret says so.
	Secrets *secret.Store
}

// Options are the flags every service shares.
type Options struct {
	Bus bus.Options
	// HTTPAddr serves /healthz, /readyz and /metrics; empty disables it. Default
	// $DRAY_HTTP_ADDR, else DefaultHTTPAddr.
	HTTPAddr string
	// SecretsKeyFile holds the key that encrypts Secrets (see secret.LoadKey). Default
	// $DRAY_SECRETS_KEY_FILE; empty means this service cannot read or write Secrets.
	SecretsKeyFile string
	// LogLevel is debug, info, warn or error. Default $DRAY_LOG_LEVEL, else info.
	LogLevel string
	// LogFormat is text or json: json writes one JSON object per line, with the trace_id of
	// the work it is about. Default $DRAY_LOG_FORMAT, else text.
	LogFormat string
}

// DefaultHTTPAddr is where a service serves /healthz, /readyz and /metrics unless told: a
// free port on loopback, so that nothing outside the host reaches them by default. Probes
// and metrics scrapers from elsewhere need an explicit address, e.g. --http-addr :9090.
const DefaultHTTPAddr = "127.0.0.1:0"

// BindFlags registers the shared flags.
func (o *Options) BindFlags(fs *flag.FlagSet, defaultHTTP string) {
	o.Bus.BindFlags(fs)
	fs.StringVar(&o.HTTPAddr, "http-addr", envOr("DRAY_HTTP_ADDR", defaultHTTP),
		"address of /healthz, /readyz and /metrics; the default is loopback only, set e.g. :9090 to be reached from other hosts (probes, scrapers); empty: off")
	fs.StringVar(&o.SecretsKeyFile, "secrets-key-file", envOr("DRAY_SECRETS_KEY_FILE", ""), "file holding the key that encrypts Secrets (32 bytes, raw, hex or base64)")
	fs.StringVar(&o.LogLevel, "log-level", envOr("DRAY_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&o.LogFormat, "log-format", envOr("DRAY_LOG_FORMAT", "text"), "text or json")
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	var errs []error
	if err := o.Bus.Validate(); err != nil {
		errs = append(errs, err)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %q is not debug, info, warn or error", o.LogLevel))
	}
	if o.LogFormat != "text" && o.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format: %q is not text or json", o.LogFormat))
	}
	return errors.Join(errs...)
}

// Logger builds the logger the options ask for.
func (o *Options) Logger() *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(o.LogLevel))
	h := &slog.HandlerOptions{Level: lvl}
	if o.LogFormat == "json" {
		return slog.New(WithTraceIDs(slog.NewJSONHandler(os.Stderr, h)))
	}
	return slog.New(WithTraceIDs(slog.NewTextHandler(os.Stderr, h)))
}

// Flagger is a service's own options.
type Flagger interface {
	BindFlags(*flag.FlagSet)
	Validate() error
}

// Main parses flags into the shared options and own, connects to NATS, serves health and
// metrics, and calls run until SIGINT or SIGTERM. It exits the process.
func Main(name string, own Flagger, run func(context.Context, Deps) error) {
	var opts Options
	fs := flags(name, &opts, own)
	_ = fs.Parse(os.Args[1:])
	if err := errors.Join(opts.Validate(), own.Validate()); err != nil {
		fmt.Fprintf(os.Stderr, "dray-%s: %v\n", name, err)
		os.Exit(2)
	}
	log := opts.Logger().With("service", name)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, name, &opts, log, run); err != nil {
		log.Error("service stopped", "err", err)
		os.Exit(1)
	}
}

// flags returns the flags of service name: the shared ones into opts, with DefaultHTTPAddr
// as --http-addr's default, and own's.
func flags(name string, opts *Options, own Flagger) *flag.FlagSet {
	fs := flag.NewFlagSet("dray-"+name, flag.ExitOnError)
	opts.BindFlags(fs, DefaultHTTPAddr)
	own.BindFlags(fs)
	return fs
}

func serve(ctx context.Context, name string, opts *Options, log *slog.Logger, run func(context.Context, Deps) error) error {
	tp, err := Tracing(ctx, "dray-"+name)
	if err != nil {
		return err
	}
	if tp != nil {
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = tp.Shutdown(sctx) // sends the spans still buffered
		}()
		opts.Bus.TracerProvider = tp
		log.Info("exporting traces by OTLP")
	}
	nc, err := opts.Bus.Connect("dray-" + name)
	if err != nil {
		return err
	}
	defer nc.Drain()
	b, err := bus.New(ctx, nc, opts.Bus)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.HTTPAddr != "" {
		ln, err := net.Listen("tcp", opts.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", opts.HTTPAddr, err)
		}
		srv := &http.Server{Handler: HealthHandler(reg, b), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		log.Info("serving health and metrics", "addr", ln.Addr().String())
	}
	d := Deps{Log: log, Bus: b, Metrics: reg}
	if opts.SecretsKeyFile != "" {
		key, err := secret.LoadKey(opts.SecretsKeyFile)
		if err != nil {
			return err
		}
		if d.Secrets, err = secret.NewStore(b.Secrets, key); err != nil {
			return err
		}
	}
	return run(ctx, d)
}

// HealthHandler serves /healthz (the process is up), /readyz (NATS is connected) and /metrics.
func HealthHandler(g prometheus.Gatherer, b *bus.Bus) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !b.Conn.IsConnected() {
			http.Error(w, "not connected to NATS", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return mux
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
