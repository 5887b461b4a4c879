package warehouse

import (
	"context"
	"flag"

	"github.com/drayhq/dray/pkg/service"
)

// Options tune the warehouse service.
type Options struct{}

// BindFlags registers the options as flags.
func (o *Options) BindFlags(*flag.FlagSet) {}

// Validate reports every problem at once.
func (o *Options) Validate() error { return nil }

// Run waits until ctx ends. Discovery is not implemented yet.
func Run(ctx context.Context, _ Options, d service.Deps) error {
	d.Log.Info("warehouse service ready; discovery is not implemented yet, create Freight with dray apply")
	<-ctx.Done()
	return nil
}
