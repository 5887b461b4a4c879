package gateway

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drayhq/dray/pkg/service"
)

// Options tune the gateway.
type Options struct {
	// Addr is where the API listens. Default $DRAY_GATEWAY_ADDR, else :8080.
	Addr string
	// Mounts are extra handlers by path prefix (dray up --demo mounts its git server on /git/).
	Mounts map[string]http.Handler
	// Ready, when set, receives the address the gateway listens on once it does.
	Ready chan<- string
	// Route maps step kinds to executors when extra executors add kinds (as the scheduler's
	// Route does); apply accepts the kinds it routes. Default steps.ExecutorFor.
	Route func(uses string) (string, bool)
}

// BindFlags registers the options as flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	addr := os.Getenv("DRAY_GATEWAY_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	fs.StringVar(&o.Addr, "addr", addr, "address of the HTTP API")
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	if o.Addr == "" {
		return errors.New("--addr must not be empty")
	}
	return nil
}

// newHandler builds the gateway's routes: health and metrics, the API and webhook routes
// (behind the name check of checkedMux), and the extra mounts.
func newHandler(a *api, gatherer prometheus.Gatherer, mounts map[string]http.Handler) *checkedMux {
	mux := newCheckedMux()
	mux.Handle("/healthz", service.HealthHandler(gatherer, a.Bus))
	mux.Handle("/readyz", service.HealthHandler(gatherer, a.Bus))
	mux.Handle("/metrics", service.HealthHandler(gatherer, a.Bus))
	a.routes(mux)
	for prefix, h := range mounts {
		mux.Handle(prefix, h)
	}
	return mux
}

// Run serves the API until ctx ends.
func Run(ctx context.Context, opts Options, d service.Deps) error {
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	gatherer, _ := d.Metrics.(prometheus.Gatherer)
	if gatherer == nil {
		gatherer = prometheus.NewRegistry()
	}
	mux := newHandler(&api{Deps: d, route: opts.Route}, gatherer, opts.Mounts)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errs := make(chan error, 1)
	go func() { errs <- srv.Serve(ln) }()
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
