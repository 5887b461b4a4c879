package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
)

// DefaultKeepPromotions is how many finished Promotions each Stage keeps by default: as many
// as Kargo's garbage collector spares per Stage (its MAX_RETAINED_PROMOTIONS, 20, in
// akuity/kargo internal/garbage/collector.go).
const DefaultKeepPromotions = 20

// trimPromotions deletes from dray-promotions the oldest finished Promotions of a Stage
// beyond the newest keep finished ones. It leaves alone every Promotion that has not
// finished and every one the Stage's status names (current, queued, last, the ones that
// delivered the Freight it holds, the one whose verification waits for health, the ones
// holding auto-promotion). A Promotion is deleted only if it is unchanged since it was read
// and finished, so a concurrent writer never loses one.
//
// It finds a Stage's Promotions by their names, <stage>.<ulid>.<freight> (promotion.Name):
// the keys <project>.<stage>.*.* are the Stage's, and in key order they are oldest first.
// Listing them reads no values; only the Promotions to delete are read.
func (s *state) trimPromotions(ctx context.Context, project, stage string) error {
	keep := s.opts.KeepPromotions
	if keep < 0 {
		return nil
	}
	var st v1.StageStatus
	if _, err := s.Bus.GetJSON(ctx, s.Bus.Stages, bus.Key(project, stage), &st); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	prefix := bus.Key(project, stage) + "."
	lister, err := s.Bus.Promotions.ListKeysFiltered(ctx, prefix+"*.*")
	if err != nil {
		return fmt.Errorf("list promotions of stage %s: %w", bus.Key(project, stage), err)
	}
	var names []string
	for k := range lister.Keys() {
		names = append(names, stage+"."+strings.TrimPrefix(k, prefix))
	}
	for _, name := range trimmable(names, &st, keep) {
		if err := s.deleteFinished(ctx, project, stage, name); err != nil {
			return err
		}
	}
	return nil
}

// trimmable picks, from the names of a Stage's Promotions, those past the newest keep that
// may be deleted: every name the Stage's status st refers to stays, and those it holds as
// current or queued (not finished) do not count towards keep. Names sort oldest first
// (promotion.Name puts a ULID after the Stage).
func trimmable(names []string, st *v1.StageStatus, keep int) []string {
	running, needed := map[string]bool{}, map[string]bool{}
	if st.CurrentPromotion != nil {
		running[st.CurrentPromotion.Name] = true
	}
	for _, q := range st.Queued {
		running[q.Name] = true
	}
	if st.LastPromotion != nil {
		needed[st.LastPromotion.Name] = true
	}
	for _, h := range pipeline.Current(st.FreightHistory) {
		needed[h.Promotion] = true
	}
	if st.VerifyWhenHealthy != "" {
		needed[st.VerifyWhenHealthy] = true
	}
	for _, h := range st.AutoPromotionHolds {
		needed[h.PromotionName] = true
	}
	names = slices.Sorted(slices.Values(names))
	var out []string
	kept := 0
	for i := len(names) - 1; i >= 0; i-- {
		n := names[i]
		if running[n] {
			continue
		}
		if kept++; kept <= keep || needed[n] {
			continue
		}
		out = append(out, n)
	}
	return out
}

// deleteFinished deletes a Promotion of stage if it finished, unless it changed since read.
func (s *state) deleteFinished(ctx context.Context, project, stage, name string) error {
	key := bus.Key(project, name)
	var p v1.Promotion
	rev, err := s.Bus.GetJSON(ctx, s.Bus.Promotions, key, &p)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !p.Status.Finished() || p.Spec.Stage != stage {
		return nil
	}
	if err := s.Bus.Promotions.Purge(ctx, key, jetstream.LastRevision(rev)); err != nil {
		if isConflict(err) {
			return nil // changed since: looked at again after the next Promotion
		}
		return fmt.Errorf("delete promotion %s: %w", key, err)
	}
	s.written.forget(key)
	s.Log.Debug("finished promotion deleted: past the stage's retention", "project", project, "stage", stage, "promotion", name)
	return nil
}
