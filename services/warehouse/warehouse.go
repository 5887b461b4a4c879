package warehouse

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/service"
)

// Options tune the warehouse service.
type Options struct {
	// Workers bounds how many Warehouses discover at once. Default $DRAY_WAREHOUSE_WORKERS,
	// else 8.
	Workers int
	// MinInterval is the shortest discovery period; a Warehouse's interval below it is raised
	// to it. Default 10s.
	MinInterval time.Duration
	// Timeout bounds one Warehouse's discovery, all subscriptions together. Default 2m.
	Timeout time.Duration
	// Discoverer discovers one subscription. Nil means the real remotes: Git through go-git,
	// images through the registry API, charts through chart repositories, with the
	// credentials of the service's secret store (NewRemoteDiscoverer with WithCredentials).
	Discoverer Discoverer
	// GitTransports are allowed for Git subscriptions beyond https, http and ssh, when
	// Discoverer is nil: "file" (file:// and local paths) or "git". Default none: such a
	// subscription fails its discovery, naming --allow-git-transport.
	GitTransports gitrepo.Transports
	// Generic discovers generic subscriptions, by type, when Discoverer is nil. Default none:
	// a generic subscription fails its discovery, naming its type.
	Generic map[string]GenericDiscoverer
}

// BindFlags registers the options as flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	workers := 8
	if n, err := strconv.Atoi(os.Getenv("DRAY_WAREHOUSE_WORKERS")); err == nil {
		workers = n
	}
	fs.IntVar(&o.Workers, "workers", workers, "how many Warehouses discover at once ($DRAY_WAREHOUSE_WORKERS)")
	fs.DurationVar(&o.MinInterval, "min-interval", 10*time.Second, "shortest discovery interval of any Warehouse")
	fs.DurationVar(&o.Timeout, "discovery-timeout", 2*time.Minute, "longest discovery of one Warehouse")
	o.GitTransports.BindFlag(fs)
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	var errs []error
	if o.Workers < 0 {
		errs = append(errs, fmt.Errorf("--workers: %d is negative", o.Workers))
	}
	if o.MinInterval < 0 {
		errs = append(errs, fmt.Errorf("--min-interval: %s is negative", o.MinInterval))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("--discovery-timeout: %s is negative", o.Timeout))
	}
	return errors.Join(errs...)
}

func (o *Options) defaults(d service.Deps, m *metrics) {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Discoverer == nil {
		opts := []RemoteOption{WithCredentials(d.Secrets), WithGitTransports(o.GitTransports),
			WithTransport(countingTransport{base: http.DefaultTransport, m: m})}
		for kind, g := range o.Generic {
			opts = append(opts, WithGeneric(kind, g))
		}
		o.Discoverer = NewRemoteDiscoverer(opts...)
	}
}

// Run discovers every Warehouse until ctx ends: it watches the Warehouses in dray-resources,
// handles refresh commands, and runs discovery when each is due.
func Run(ctx context.Context, opts Options, d service.Deps) error {
	m, err := newMetrics(d.Metrics)
	if err != nil {
		return err
	}
	opts.defaults(d, m)
	s := newTracker(opts, d, m)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	failures, err := audit.NewFailures(d.Metrics)
	if err != nil {
		return err
	}
	refresh, err := bus.CountCommands(d.Metrics, audit.Commands(d.Bus, d.Log, s.handleRefresh, audit.WithFailures(failures)))
	if err != nil {
		return err
	}
	errs := make(chan error, 2)
	go func() { errs <- s.watch(ctx) }()
	go func() {
		errs <- d.Bus.Consume(ctx, d.Log, bus.ConsumerOptions{
			Stream: bus.StreamCommands, Durable: "warehouse-refresh",
			Filters: bus.CommandFilters("refresh"), Metrics: d.Metrics,
			Workers: 16, NoBuffer: true, // a refresh may take long; bus.Consume keeps it with heartbeats
		}, refresh)
	}()
	d.Log.Info("warehouse service ready", "workers", opts.Workers)
	done := make(chan struct{})
	go func() { s.loop(ctx); close(done) }()
	select {
	case err = <-errs:
		if ctx.Err() == nil && err != nil {
			err = fmt.Errorf("warehouse service: %w", err)
		}
	case <-ctx.Done():
	}
	cancel()
	<-done
	s.wait()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}
