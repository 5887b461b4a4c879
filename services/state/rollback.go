package state

import (
	"context"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// deviate records p, a failed Promotion or verification run, as a deviation of its Stage
// when its autoRollback policy answers it (internal/rollback).
func (s *state) deviate(ctx context.Context, p *v1.Promotion) error { return s.roller.Deviate(ctx, p) }

// rollback carries out what auto-rollback decides in Stage name now (internal/rollback).
func (s *state) rollback(ctx context.Context, project, name string) error {
	return s.roller.Run(ctx, project, name)
}
