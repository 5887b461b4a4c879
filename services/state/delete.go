package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/workspace"
	"github.com/drayhq/dray/services/state/internal/records"
)

// deleteStage carries out what a deleted Stage leaves behind, as Kargo's Stage finalizer and
// its garbage collection of the Stage's Promotions do (docs/resources.md, "Deleting
// resources"): it drops the Stage's status (its queue goes with it, so nothing starts
// there again), ends every Promotion of the Stage that has not finished Aborted and
// announces it (executors stop its steps), deletes the Stage's Promotions and their
// workspaces, and forgets the Stage in its Freight's status (current, verified, approved,
// rejected). A Stage applied again before the record arrives is left alone: it is a new
// Stage. Each part is idempotent, so a redelivered record finishes what a crash cut short.
func (s *state) deleteStage(ctx context.Context, r *v1.StageRecord) error {
	exists, err := records.StageExists(ctx, s.Bus, r.Project, r.Stage)
	if err != nil || exists {
		if exists {
			s.Log.Info("stage applied again before its deletion was recorded; kept", "project", r.Project, "stage", r.Stage)
		}
		return err
	}
	log := s.Log.With("project", r.Project, "stage", r.Stage)
	key := bus.Key(r.Project, r.Stage)
	// The status goes first: updateStage creates no status for a Stage without a resource,
	// so a late record cannot bring it back, and startNext finds no queue to run.
	if err := s.Bus.Stages.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("drop status of deleted stage %s: %w", key, err)
	}
	s.metrics.Queue(r.Project, r.Stage, &v1.StageStatus{})
	prefix := key + "."
	lister, err := s.Bus.Promotions.ListKeysFiltered(ctx, prefix+"*.*")
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return fmt.Errorf("list promotions of deleted stage %s: %w", key, err)
	}
	var keys []string
	if lister != nil {
		for k := range lister.Keys() {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if err := s.deletePromotion(ctx, r, k); err != nil {
			return err
		}
	}
	if err := s.forgetStage(ctx, r.Project, r.Stage); err != nil {
		return err
	}
	log.Info("stage deleted", "promotions", len(keys), "by", r.Actor)
	return nil
}

// deletePromotion aborts the Promotion under key when it has not finished, announcing it,
// then deletes it and its workspace.
func (s *state) deletePromotion(ctx context.Context, r *v1.StageRecord, key string) error {
	actor := r.Actor
	if actor == "" {
		actor = "dray"
	}
	p, aborted, err := s.update(ctx, key, func(p *v1.Promotion) bool {
		return promotion.Abort(p, actor+" (stage "+r.Stage+" deleted)", time.Now())
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	s.records.Forget(key)
	if aborted {
		s.metrics.PromotionFinished(r.Project, r.Stage, p.Status.Phase)
		if err := s.publish(ctx, p, v1.TypePromotionAborted, p.Metadata.Name+"/aborted", nil); err != nil {
			return err
		}
	}
	if err := s.Bus.Promotions.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete promotion %s of deleted stage: %w", key, err)
	}
	if err := workspace.DeleteRevisions(ctx, s.Bus.Workspaces, p.Metadata.Name, p.Status.Workspace); err != nil {
		s.Log.Warn("workspace not deleted", "promotion", p.Metadata.Name, "err", err)
	}
	return nil
}

// forgetStage takes a deleted Stage out of the status of every Freight of the project, with
// compare-and-set: a Freight it held is then no longer in use (and may be deleted), and an
// approval or verification does not pass to a new Stage of the same name.
func (s *state) forgetStage(ctx context.Context, project, stage string) error {
	lister, err := s.Bus.Freight.ListKeysFiltered(ctx, bus.Key(project, "*"))
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list freight of project %s: %w", project, err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k) // <project>.<name>: alias keys start with _alias.
	}
	for _, k := range keys {
		var f v1.Freight
		if _, err := s.Bus.GetJSON(ctx, s.Bus.Freight, k, &f); err != nil {
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				continue
			}
			return err
		}
		if !mentions(&f.Status, stage) {
			continue
		}
		err := s.records.Freight(ctx, k, func(f *v1.Freight) {
			delete(f.Status.CurrentlyIn, stage)
			delete(f.Status.VerifiedIn, stage)
			delete(f.Status.ApprovedFor, stage)
			delete(f.Status.RejectedFor, stage)
		})
		if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("forget deleted stage %s in freight %s: %w", stage, k, err)
		}
	}
	return nil
}

func mentions(st *v1.FreightStatus, stage string) bool {
	_, in := st.CurrentlyIn[stage]
	_, verified := st.VerifiedIn[stage]
	_, approved := st.ApprovedFor[stage]
	_, rejected := st.RejectedFor[stage]
	return in || verified || approved || rejected
}
