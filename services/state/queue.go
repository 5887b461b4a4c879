package state

import (
	"context"
	"slices"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
)

// startNext runs the Stage's queue (RESOURCES.md §4.5): when no Promotion runs in the Stage,
// the oldest queued one becomes current and starts. Claiming the Stage is a compare-and-set on
// its status, so two writers never start two Promotions in one Stage. It is idempotent: a
// redelivered record starts nothing twice, and re-sends the started event with the same ID.
func (s *state) startNext(ctx context.Context, project, stage string) error {
	for {
		var next *v1.PromotionReference
		err := s.updateStage(ctx, project, stage, func(st *v1.StageStatus) bool {
			if st.CurrentPromotion != nil {
				next = st.CurrentPromotion // started, perhaps without its event before a crash
				return false
			}
			if len(st.Queued) == 0 {
				return false
			}
			next = &st.Queued[0]
			st.CurrentPromotion, st.Queued = next, st.Queued[1:]
			return true
		})
		if err != nil || next == nil {
			return err
		}
		p, _, err := s.update(ctx, bus.Key(project, next.Name), func(p *v1.Promotion) bool {
			return promotion.Start(p, time.Now())
		})
		if err != nil {
			return err
		}
		if !p.Status.Finished() {
			return s.publish(ctx, p, v1.TypePromotionStarted, p.Metadata.Name+"/started", nil)
		}
		// Aborted while queued (or finished before a crash): free the Stage, take the next.
		if err := s.release(ctx, project, stage, p.Metadata.Name); err != nil {
			return err
		}
	}
}

// enqueue puts a new Pending Promotion at the end of its Stage's queue, once.
func (s *state) enqueue(ctx context.Context, p *v1.Promotion) error {
	ref := v1.PromotionReference{Name: p.Metadata.Name, Freight: p.Spec.Freight}
	return s.updateStage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(st *v1.StageStatus) bool {
		if st.CurrentPromotion != nil && st.CurrentPromotion.Name == ref.Name || queued(st, ref.Name) >= 0 {
			return false
		}
		st.Queued = append(st.Queued, ref)
		return true
	})
}

// release makes the Stage forget name as its current or queued Promotion.
func (s *state) release(ctx context.Context, project, stage, name string) error {
	return s.updateStage(ctx, project, stage, func(st *v1.StageStatus) bool {
		changed := false
		if st.CurrentPromotion != nil && st.CurrentPromotion.Name == name {
			st.CurrentPromotion, changed = nil, true
		}
		if i := queued(st, name); i >= 0 {
			st.Queued, changed = slices.Delete(st.Queued, i, i+1), true
		}
		return changed
	})
}

func queued(st *v1.StageStatus, name string) int {
	return slices.IndexFunc(st.Queued, func(r v1.PromotionReference) bool { return r.Name == name })
}
