// Command dray-executor-git runs the git executor on its own.
package main

import (
	"context"

	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/executor-git"
)

func main() {
	var opts executorgit.Options
	service.Main("executor-git", &opts, func(ctx context.Context, d service.Deps) error { return executorgit.Run(ctx, opts, d) })
}
