// Command dray-executor-container runs the container executor on its own.
package main

import (
	"context"

	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/executor-container"
)

func main() {
	var opts executorcontainer.Options
	service.Main("executor-container", &opts, func(ctx context.Context, d service.Deps) error { return executorcontainer.Run(ctx, opts, d) })
}
