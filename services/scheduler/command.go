package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promote"
)

// handleCommand turns a command into a promotion record for the state service.
func (s *scheduler) handleCommand(ctx context.Context, msg jetstream.Msg) error {
	switch {
	case strings.HasSuffix(msg.Subject(), ".abort"):
		return s.handleAbort(ctx, msg)
	case strings.HasSuffix(msg.Subject(), ".approve"):
		return s.handleApprove(ctx, msg)
	case strings.HasSuffix(msg.Subject(), ".verify"):
		return s.handleVerify(ctx, msg)
	case strings.HasSuffix(msg.Subject(), ".wake"):
		return s.handleWake(ctx, msg)
	case strings.HasSuffix(msg.Subject(), ".pause"):
		return s.handlePause(ctx, msg, v1.StagePause)
	case strings.HasSuffix(msg.Subject(), ".resume"):
		return s.handlePause(ctx, msg, v1.StageResume)
	}
	return s.handlePromote(ctx, msg)
}

// handleAbort asks the state service to stop a Promotion. Stopping is recorded there, so an
// abort and a step result never overwrite each other.
func (s *scheduler) handleAbort(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.AbortCommand
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil || cmd.Promotion == "" {
		audit.Refuse(ctx, errors.New("an abort command names a promotion"))
		s.Log.Warn("abort command rejected: it names no promotion", "subject", msg.Subject(), "err", err)
		return nil
	}
	project := projectOf(msg.Subject())
	rec := &v1.PromotionRecord{Op: v1.RecordAbort, Project: project, Name: cmd.Promotion, Actor: cmd.Actor}
	return s.Bus.Publish(ctx, bus.PromotionRecordSubject(project), cmd.Promotion+"/abort", rec)
}

// handlePromote turns a promote command into a create record for the state service.
func (s *scheduler) handlePromote(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.PromoteCommand
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return s.reject(ctx, msg, &cmd, fmt.Errorf("%w: decode promote command: %v", promote.ErrRejected, err))
	}
	if project := projectOf(msg.Subject()); cmd.Project == "" {
		cmd.Project = project
	} else if cmd.Project != project {
		return s.reject(ctx, msg, &cmd, fmt.Errorf("%w: command for project %q sent on %s", promote.ErrRejected, cmd.Project, msg.Subject()))
	}
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
