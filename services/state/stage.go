package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// setLast records p, finished, as the Stage's last Promotion, and its Freight as the Stage's
// when it succeeded; p leaves the Stage's current slot or queue.
func (s *state) setLast(ctx context.Context, p *v1.Promotion) error {
	return s.updateStage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(st *v1.StageStatus) bool {
		changed := false
		if st.CurrentPromotion != nil && st.CurrentPromotion.Name == p.Metadata.Name {
			st.CurrentPromotion, changed = nil, true
		}
		if i := queued(st, p.Metadata.Name); i >= 0 {
			st.Queued, changed = slices.Delete(st.Queued, i, i+1), true
		}
		if st.LastPromotion != nil && st.LastPromotion.Name == p.Metadata.Name {
			return changed
		}
		st.LastPromotion = &v1.PromotionReference{Name: p.Metadata.Name, Freight: p.Spec.Freight, Phase: p.Status.Phase}
		if p.Status.Phase == v1.PhaseSucceeded {
			st.FreightSummary = p.Spec.Freight
		}
		return true
	})
}

// updateStage applies change to a Stage's status with compare-and-set.
func (s *state) updateStage(ctx context.Context, project, stage string, change func(*v1.StageStatus) bool) error {
	key := bus.Key(project, stage)
	for {
		var st v1.StageStatus
		rev, err := s.Bus.GetJSON(ctx, s.Bus.Stages, key, &st)
		if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		if !change(&st) {
			return nil
		}
		data, err := json.Marshal(&st)
		if err != nil {
			return err
		}
		if rev == 0 {
			_, err = s.Bus.Stages.Create(ctx, key, data)
		} else {
			_, err = s.Bus.Stages.Update(ctx, key, data, rev)
		}
		if err == nil {
			return nil
		}
		if !isConflict(err) {
			return fmt.Errorf("update stage status %s: %w", key, err)
		}
	}
}

// setMetadata applies what a set-metadata step set to Stage and Freight status, with
// compare-and-set.
func (s *state) setMetadata(ctx context.Context, project string, updates []v1.MetadataUpdate) error {
	for _, u := range updates {
		set := func(m map[string]any) map[string]any {
			if m == nil {
				m = map[string]any{}
			}
			for k, v := range u.Values {
				m[k] = v
			}
			return m
		}
		var err error
		if u.Kind == v1.KindFreight {
			err = s.updateFreight(ctx, bus.Key(project, u.Name), func(f *v1.Freight) { f.Status.Metadata = set(f.Status.Metadata) })
		} else {
			err = s.updateStage(ctx, project, u.Name, func(st *v1.StageStatus) bool { st.Metadata = set(st.Metadata); return true })
		}
		if err != nil {
			return fmt.Errorf("set metadata of %s %q: %w", u.Kind, u.Name, err)
		}
	}
	return nil
}

// updateFreight applies change to a Freight with compare-and-set.
func (s *state) updateFreight(ctx context.Context, key string, change func(*v1.Freight)) error {
	for {
		var f v1.Freight
		rev, err := s.Bus.GetJSON(ctx, s.Bus.Freight, key, &f)
		if err != nil {
			return err
		}
		change(&f)
		data, err := json.Marshal(&f)
		if err != nil {
			return err
		}
		if _, err = s.Bus.Freight.Update(ctx, key, data, rev); err == nil || !isConflict(err) {
			return err
		}
	}
}
