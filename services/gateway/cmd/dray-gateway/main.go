// Command dray-gateway runs the HTTP API on its own.
package main

import (
	"context"

	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/gateway"
)

func main() {
	var opts gateway.Options
	service.Main("gateway", &opts, func(ctx context.Context, d service.Deps) error { return gateway.Run(ctx, opts, d) })
}
