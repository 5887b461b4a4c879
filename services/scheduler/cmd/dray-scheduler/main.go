// Command dray-scheduler runs the scheduler service on its own.
package main

import (
	"context"

	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/scheduler"
)

func main() {
	var opts scheduler.Options
	service.Main("scheduler", &opts, func(ctx context.Context, d service.Deps) error { return scheduler.Run(ctx, opts, d) })
}
