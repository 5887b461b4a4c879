package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// handleApprove checks an approve command and asks the state service to record it. An
// approval that can never hold (unknown Freight or Stage, a Stage that does not request the
// Freight's origin) is answered with command.rejected.
func (s *scheduler) handleApprove(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.ApproveCommand
	project := check.Project(msg.Subject())
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return s.refuse(ctx, msg, v1.CommandRejected{Command: "approve"}, bus.ReasonUndecodable, fmt.Errorf("decode approve command: %w", err))
	}
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("freight", cmd.Freight, names.Object),
		names.Field("stage", cmd.Stage, names.Object)); err != nil {
		return s.refuse(ctx, msg, v1.CommandRejected{Command: "approve", Stage: cmd.Stage, Freight: cmd.Freight}, bus.ReasonInvalid, err)
	}
	f, err := store.Freight(ctx, s.Bus, project, cmd.Freight)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s.rejectCommand(ctx, msg, v1.CommandRejected{Command: "approve", Stage: cmd.Stage, Freight: cmd.Freight}, err)
		}
		return err
	}
	st, err := store.Stage(ctx, s.Bus, project, cmd.Stage)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s.rejectCommand(ctx, msg, v1.CommandRejected{Command: "approve", Stage: cmd.Stage, Freight: cmd.Freight}, err)
		}
		return err
	}
	if why := pipeline.Approvable(st, f); why != nil {
		return s.rejectCommand(ctx, msg, v1.CommandRejected{Command: "approve", Stage: cmd.Stage, Freight: cmd.Freight}, why)
	}
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	at := md.Timestamp.UTC()
	rec := &v1.FreightRecord{Op: v1.FreightApprove, Project: project, Freight: f.Metadata.Name, Stage: cmd.Stage,
		Actor: cmd.Actor, Reason: cmd.Reason, At: &at}
	return s.Bus.Publish(ctx, bus.FreightRecordSubject(project), project+"/"+f.Metadata.Name+"/approve/"+cmd.Stage, rec)
}

// refuse answers a command that fails its checks with command.rejected, and then poisons it
// for reason, so it is recorded on DRAY_DEAD too. When the answer cannot be sent, the command
// is retried.
func (s *scheduler) refuse(ctx context.Context, msg jetstream.Msg, data v1.CommandRejected, reason string, cause error) error {
	if err := s.rejectCommand(ctx, msg, data, cause); err != nil {
		return err
	}
	return bus.Poison(reason, cause)
}

// rejectCommand answers a command that can never be carried out with a command.rejected
// event naming what is wrong; data names the command and what it was about. Names and IDs
// that fail their checks are left out of the event (the message says what is wrong with
// them), so it carries no hostile value.
func (s *scheduler) rejectCommand(ctx context.Context, msg jetstream.Msg, data v1.CommandRejected, cause error) error {
	audit.Refuse(ctx, cause)
	if check.OptionalName("stage", data.Stage) != nil {
		data.Stage = ""
	}
	if check.OptionalName("freight", data.Freight) != nil {
		data.Freight = ""
	}
	if check.ID("id", data.ID) != nil {
		data.ID = ""
	}
	s.Log.Warn(data.Command+" command rejected", "subject", msg.Subject(), "stage", data.Stage, "freight", data.Freight, "err", cause)
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	data.Project, data.Message = check.Project(msg.Subject()), cause.Error()
	id := "command/" + strconv.FormatUint(md.Sequence.Stream, 10) + "/rejected"
	return s.Bus.PublishEvent(ctx, data.Project, v1.TypeCommandRejected, id, "command/"+data.ID, data)
}
