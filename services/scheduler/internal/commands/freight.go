package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// handleApprove checks an approve command and asks the state service to record it. An
// approval that can never hold (unknown Freight or Stage, a Stage that does not request the
// Freight's origin) is answered with command.rejected.
func (h *Handler) handleApprove(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.ApproveCommand
	project := check.Project(msg.Subject())
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: "approve"}, bus.ReasonUndecodable, fmt.Errorf("decode approve command: %w", err))
	}
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("freight", cmd.Freight, names.Object),
		names.Field("stage", cmd.Stage, names.Object)); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: "approve", Stage: cmd.Stage, Freight: cmd.Freight}, bus.ReasonInvalid, err)
	}
	f, err := store.Freight(ctx, h.Bus, project, cmd.Freight)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return h.rejectCommand(ctx, msg, v1.CommandRejected{Command: "approve", Stage: cmd.Stage, Freight: cmd.Freight}, err)
		}
		return err
	}
	st, err := store.Stage(ctx, h.Bus, project, cmd.Stage)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return h.rejectCommand(ctx, msg, v1.CommandRejected{Command: "approve", Stage: cmd.Stage, Freight: cmd.Freight}, err)
		}
		return err
	}
	if why := pipeline.Approvable(st, f); why != nil {
		return h.rejectCommand(ctx, msg, v1.CommandRejected{Command: "approve", Stage: cmd.Stage, Freight: cmd.Freight}, why)
	}
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	at := md.Timestamp.UTC()
	rec := &v1.FreightRecord{Op: v1.FreightApprove, Project: project, Freight: f.Metadata.Name, Stage: cmd.Stage,
		Actor: cmd.Actor, Reason: cmd.Reason, At: &at}
	return h.Bus.Publish(ctx, bus.FreightRecordSubject(project), project+"/"+f.Metadata.Name+"/approve/"+cmd.Stage, rec)
}

// handleReject checks a reject command (dray reject, docs/resources.md#freight-rejection) and
// asks the state service to record the rejection, or to take it back. One naming a Freight or
// Stage that does not exist is answered with command.rejected.
func (h *Handler) handleReject(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.RejectCommand
	project := check.Project(msg.Subject())
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: "reject"}, bus.ReasonUndecodable, fmt.Errorf("decode reject command: %w", err))
	}
	refused := v1.CommandRejected{Command: "reject", Stage: cmd.Stage, Freight: cmd.Freight}
	errs := []error{check.SameProject(cmd.Project, project, true), names.Field("freight", cmd.Freight, names.Object)}
	if cmd.Stage != "" {
		errs = append(errs, names.Field("stage", cmd.Stage, names.Object))
	}
	if err := errors.Join(errs...); err != nil {
		return h.refuse(ctx, msg, refused, bus.ReasonInvalid, err)
	}
	f, err := store.Freight(ctx, h.Bus, project, cmd.Freight)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return h.rejectCommand(ctx, msg, refused, fmt.Errorf("freight: %w", err))
		}
		return err
	}
	if cmd.Stage != "" {
		if _, err := store.Stage(ctx, h.Bus, project, cmd.Stage); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return h.rejectCommand(ctx, msg, refused, fmt.Errorf("stage: %w", err))
			}
			return err
		}
	}
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	at := md.Timestamp.UTC()
	op := v1.FreightReject
	if cmd.Undo {
		op = v1.FreightUnreject
	}
	rec := &v1.FreightRecord{Op: op, Project: project, Freight: f.Metadata.Name, Stage: cmd.Stage, Actor: cmd.Actor, Reason: cmd.Reason, At: &at}
	id := project + "/" + f.Metadata.Name + "/" + op + "/" + cmd.Stage + "/" + strconv.FormatUint(md.Sequence.Stream, 10)
	return h.Bus.Publish(ctx, bus.FreightRecordSubject(project), id, rec)
}
