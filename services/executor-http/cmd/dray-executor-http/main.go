// Command dray-executor-http runs the http executor on its own.
package main

import (
	"context"

	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/executor-http"
)

func main() {
	var opts executorhttp.Options
	service.Main("executor-http", &opts, func(ctx context.Context, d service.Deps) error { return executorhttp.Run(ctx, opts, d) })
}
