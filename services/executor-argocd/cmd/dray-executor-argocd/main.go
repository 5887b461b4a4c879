// Command dray-executor-argocd runs the argocd executor on its own.
package main

import (
	"context"

	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/executor-argocd"
)

func main() {
	var opts executorargocd.Options
	service.Main("executor-argocd", &opts, func(ctx context.Context, d service.Deps) error { return executorargocd.Run(ctx, opts, d) })
}
