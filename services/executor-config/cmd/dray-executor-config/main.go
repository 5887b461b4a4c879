// Command dray-executor-config runs the config executor on its own.
package main

import (
	"context"

	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/executor-config"
)

func main() {
	var opts executor.Options
	service.Main("executor-config", &opts, func(ctx context.Context, d service.Deps) error { return executorconfig.Run(ctx, opts, d) })
}
