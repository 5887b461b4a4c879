package state

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/stage"
)

// updateStage applies change to a Stage's status with compare-and-set; it creates no status
// for a deleted Stage (records.Writer.Stage).
func (s *state) updateStage(ctx context.Context, project, stage string, change func(*v1.StageStatus) bool) error {
	return s.records.Stage(ctx, project, stage, change)
}

// setMetadata applies what a set-metadata step set to Stage and Freight status, with
// compare-and-set.
func (s *state) setMetadata(ctx context.Context, project string, updates []v1.MetadataUpdate) error {
	for _, u := range updates {
		var err error
		if u.Kind == v1.KindFreight {
			err = s.records.Freight(ctx, bus.Key(project, u.Name), func(f *v1.Freight) { f.Status.Metadata = stage.SetMetadata(f.Status.Metadata, u.Values) })
		} else {
			err = s.updateStage(ctx, project, u.Name, func(st *v1.StageStatus) bool { st.Metadata = stage.SetMetadata(st.Metadata, u.Values); return true })
		}
		if err != nil {
			return fmt.Errorf("set metadata of %s %q: %w", u.Kind, u.Name, err)
		}
	}
	return nil
}

// pause pauses or resumes a Stage, says so in an event, and on resume runs its queue.
func (s *state) pause(ctx context.Context, r *v1.StageRecord) error {
	at := time.Now().UTC()
	if r.At != nil {
		at = r.At.UTC()
	}
	err := s.updateStage(ctx, r.Project, r.Stage, func(st *v1.StageStatus) bool {
		if r.Op == v1.StageResume {
			return stage.Resume(st)
		}
		return stage.Pause(st, r.Actor, r.Reason, at)
	})
	if err != nil {
		return err
	}
	t := v1.TypeStagePaused
	if r.Op == v1.StageResume {
		t = v1.TypeStageResumed
	}
	s.Log.Info("stage "+r.Op+"d", "project", r.Project, "stage", r.Stage, "by", r.Actor)
	ev := v1.StageEvent{Project: r.Project, Stage: r.Stage, Actor: r.Actor, Message: r.Reason}
	id := r.Project + "/" + r.Stage + "/" + r.Op + "/" + at.Format(time.RFC3339Nano)
	if err := s.Bus.PublishEvent(ctx, r.Project, t, id, "stage/"+r.Stage, ev); err != nil {
		return err
	}
	return s.queue.StartNext(ctx, r.Project, r.Stage)
}
