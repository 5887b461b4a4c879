package scheduler

import (
	"context"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/services/scheduler/internal/promotiondata"
)

// data gives p's expressions its project's data (internal/promotiondata).
func (s *scheduler) data(ctx context.Context, p *v1.Promotion) promotion.Data {
	return promotiondata.For(ctx, s.Bus, s.Secrets, s.ui, p)
}
