package scheduler

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
	"github.com/drayhq/dray/pkg/promote"
)

// handleCommand turns a command into a record for the state service. A command whose
// subject names no valid project is poisoned before anything else; the handlers check the
// rest.
func (s *scheduler) handleCommand(ctx context.Context, msg jetstream.Msg) error {
	if _, err := subjectProject(msg.Subject()); err != nil {
		return invalid(err)
	}
	switch verbOf(msg.Subject()) {
	case "abort":
		return s.handleAbort(ctx, msg)
	case "approve":
		return s.handleApprove(ctx, msg)
	case "reject":
		return s.handleReject(ctx, msg)
	case "verify":
		return s.handleVerify(ctx, msg)
	case "wake":
		return s.handleWake(ctx, msg)
	case "pause":
		return s.handlePause(ctx, msg, v1.StagePause)
	case "resume":
		return s.handlePause(ctx, msg, v1.StageResume)
	case "promote":
		return s.handlePromote(ctx, msg)
	}
	return invalid(fmt.Errorf("subject %s: no command %s", msg.Subject(), short(verbOf(msg.Subject()))))
}

// handleAbort asks the state service to stop a Promotion. Stopping is recorded there, so an
// abort and a step result never overwrite each other.
func (s *scheduler) handleAbort(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.AbortCommand
	project := projectOf(msg.Subject())
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return s.refuse(ctx, msg, v1.CommandRejected{Command: "abort"}, bus.ReasonUndecodable, fmt.Errorf("decode abort command: %w", err))
	}
	if err := errors.Join(sameProject(cmd.Project, project, true), names.Field("promotion", cmd.Promotion, names.Object)); err != nil {
		return s.refuse(ctx, msg, v1.CommandRejected{Command: "abort"}, bus.ReasonInvalid, err)
	}
	rec := &v1.PromotionRecord{Op: v1.RecordAbort, Project: project, Name: cmd.Promotion, Actor: cmd.Actor}
	return s.Bus.Publish(ctx, bus.PromotionRecordSubject(project), cmd.Promotion+"/abort", rec)
}

// handlePromote turns a promote command into a create record for the state service.
func (s *scheduler) handlePromote(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.PromoteCommand
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return s.refuse(ctx, msg, v1.CommandRejected{Command: "promote"}, bus.ReasonUndecodable,
			fmt.Errorf("%w: decode promote command: %v", promote.ErrRejected, err))
	}
	project := projectOf(msg.Subject())
	if err := errors.Join(sameProject(cmd.Project, project, true), names.Field("stage", cmd.Stage, names.Object),
		names.Field("freight", cmd.Freight, names.Object), checkID("id", cmd.ID)); err != nil {
		return s.refuse(ctx, msg, v1.CommandRejected{Command: "promote", ID: cmd.ID, Stage: cmd.Stage, Freight: cmd.Freight},
			bus.ReasonInvalid, fmt.Errorf("%w: %w", promote.ErrRejected, err))
	}
	cmd.Project = project
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	if cmd.ID == "" { // without the sender's key, the stored command is the request
		cmd.ID = strconv.FormatUint(md.Sequence.Stream, 10)
		if cmd.RequestedAt == nil {
			cmd.RequestedAt = &md.Timestamp
		}
	}
	p, err := promote.Build(ctx, s.Bus, &cmd)
	if err != nil {
		if promote.IsRejected(err) {
			return s.reject(ctx, msg, &cmd, err)
		}
		return err
	}
	rec := &v1.PromotionRecord{Op: v1.RecordCreate, Project: cmd.Project, Name: p.Metadata.Name, Promotion: p}
	return s.Bus.Publish(ctx, bus.PromotionRecordSubject(cmd.Project), p.Metadata.Name+"/create", rec)
}

// reject answers a bad promote command with a command.rejected event naming what is wrong.
func (s *scheduler) reject(ctx context.Context, msg jetstream.Msg, cmd *v1.PromoteCommand, cause error) error {
	return s.rejectCommand(ctx, msg, v1.CommandRejected{Command: "promote", ID: cmd.ID, Stage: cmd.Stage, Freight: cmd.Freight}, cause)
}
