// Command dray-state runs the state service on its own.
package main

import (
	"context"

	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/state"
)

func main() {
	var opts state.Options
	service.Main("state", &opts, func(ctx context.Context, d service.Deps) error { return state.Run(ctx, opts, d) })
}
