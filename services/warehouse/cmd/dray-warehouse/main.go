// Command dray-warehouse runs the warehouse service on its own.
package main

import (
	"context"

	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/warehouse"
)

func main() {
	var opts warehouse.Options
	service.Main("warehouse", &opts, func(ctx context.Context, d service.Deps) error { return warehouse.Run(ctx, opts, d) })
}
