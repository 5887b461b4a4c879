package executorcontainer

import (
	"context"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/store"
)

// definitions reads CustomPromotionSteps from the dray-resources bucket, where dray apply
// stores them: the project's own first, then the cluster-wide one.
type definitions struct{ bus *bus.Bus }

// CustomStep returns the CustomPromotionStep name that project sees, or nil.
func (d definitions) CustomStep(ctx context.Context, project, name string) (*v1.CustomPromotionStep, error) {
	return Lookup(ctx, d.bus, project, name)
}

// Lookup returns the CustomPromotionStep name that project sees — its own, else the
// cluster-wide one — or nil when there is none. The scheduler routes a step kind to this
// executor when it finds one the same way.
func Lookup(ctx context.Context, b *bus.Bus, project, name string) (*v1.CustomPromotionStep, error) {
	return store.CustomStep(ctx, b, project, name)
}
