package scheduler

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// handleHealth lets a verification that waits for its Stage to be Healthy run
// (docs/resources.md#verification): when a stage.health.changed event says Healthy and the Stage's status names such a
// verification, it sends the state service a healthy record. The record's ID names the
// Promotion waited for, so the same wait is ended once however often the Stage turns Healthy.
func (s *scheduler) handleHealth(ctx context.Context, msg jetstream.Msg) error {
	var data v1.StageHealthEvent
	project, _, err := check.DecodeEvent(msg, &data)
	if err != nil {
		return err
	}
	if err := check.Invalid(check.SameProject(data.Project, project, false), names.Field("stage", data.Stage, names.Object)); err != nil {
		return err
	}
	if data.Health.Status != v1.HealthHealthy {
		return nil
	}
	st, err := s.stageStatus(ctx, project, data.Stage)
	if err != nil {
		return err
	}
	if st.VerifyWhenHealthy == "" {
		return nil
	}
	rec := &v1.StageRecord{Op: v1.StageHealthy, Project: project, Stage: data.Stage}
	id := project + "/" + data.Stage + "/healthy/" + st.VerifyWhenHealthy
	return s.Bus.Publish(ctx, bus.StageRecordSubject(project), id, rec)
}

// stageStatus reads a Stage's status (store.StageStatus).
func (s *scheduler) stageStatus(ctx context.Context, project, stage string) (v1.StageStatus, error) {
	return store.StageStatus(ctx, s.Bus, project, stage)
}
