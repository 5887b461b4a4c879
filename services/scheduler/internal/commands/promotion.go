package commands

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
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// handleAbort asks the state service to stop a Promotion. Stopping is recorded there, so an
// abort and a step result never overwrite each other.
func (h *Handler) handleAbort(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.AbortCommand
	project := check.Project(msg.Subject())
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: "abort"}, bus.ReasonUndecodable, fmt.Errorf("decode abort command: %w", err))
	}
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("promotion", cmd.Promotion, names.Object)); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: "abort"}, bus.ReasonInvalid, err)
	}
	rec := &v1.PromotionRecord{Op: v1.RecordAbort, Project: project, Name: cmd.Promotion, Actor: cmd.Actor}
	return h.Bus.Publish(ctx, bus.PromotionRecordSubject(project), cmd.Promotion+"/abort", rec)
}

// handlePromote turns a promote command into a create record for the state service.
func (h *Handler) handlePromote(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.PromoteCommand
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: "promote"}, bus.ReasonUndecodable,
			fmt.Errorf("%w: decode promote command: %v", promote.ErrRejected, err))
	}
	project := check.Project(msg.Subject())
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("stage", cmd.Stage, names.Object),
		names.Field("freight", cmd.Freight, names.Object), check.ID("id", cmd.ID)); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: "promote", ID: cmd.ID, Stage: cmd.Stage, Freight: cmd.Freight},
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
	p, err := promote.Build(ctx, h.Bus, &cmd)
	if err != nil {
		if promote.IsRejected(err) {
			return h.reject(ctx, msg, &cmd, err)
		}
		return err
	}
	if _, ok := p.Metadata.Annotations[v1.AnnotationWindowOverride]; ok {
		audit.Overrode(ctx, v1.OverridePromotionWindows)
	}
	rec := &v1.PromotionRecord{Op: v1.RecordCreate, Project: cmd.Project, Name: p.Metadata.Name, Promotion: p}
	return h.Bus.Publish(ctx, bus.PromotionRecordSubject(cmd.Project), p.Metadata.Name+"/create", rec)
}

// reject answers a bad promote command with a command.rejected event naming what is wrong.
func (h *Handler) reject(ctx context.Context, msg jetstream.Msg, cmd *v1.PromoteCommand, cause error) error {
	return h.rejectCommand(ctx, msg, v1.CommandRejected{Command: "promote", ID: cmd.ID, Stage: cmd.Stage, Freight: cmd.Freight}, cause)
}

// handleInput checks a person's approval or answers for a human step and asks the state
// service to record them on the step. Only the gateway (which fills in who the person is
// from the identity it authenticated) and admins may send it: a token's or a project nkey's
// command could claim any role. An input that can never count (the step is not waiting,
// the person is no approver, approved already or asked for the Promotion, the answers do
// not fit the form) is answered with command.rejected.
func (h *Handler) handleInput(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.StepInputCommand
	project := check.Project(msg.Subject())
	reject := v1.CommandRejected{Command: "input"}
	if strings.Count(msg.Subject(), ".") != 3 {
		return h.refuse(ctx, msg, reject, bus.ReasonForbidden, errors.New("input commands come from the gateway, which establishes who approves or answers: use dray approve --promotion or dray answer"))
	}
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return h.refuse(ctx, msg, reject, bus.ReasonUndecodable, fmt.Errorf("decode input command: %w", err))
	}
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("promotion", cmd.Promotion, names.Object),
		check.ID("step", cmd.Step)); err != nil {
		return h.refuse(ctx, msg, reject, bus.ReasonInvalid, err)
	}
	var p v1.Promotion
	if _, err := h.Bus.GetLatestJSON(ctx, h.Bus.Promotions, bus.Key(project, cmd.Promotion), &p); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return h.rejectCommand(ctx, msg, reject, fmt.Errorf("promotion %q does not exist in project %q", cmd.Promotion, project))
		}
		return err
	}
	reject.Stage = p.Spec.Stage
	who := promotion.Person{Actor: cmd.Actor, Roles: cmd.Roles, Claims: cmd.Claims}
	if why := promotion.RefuseInput(&p, cmd.Step, who, cmd.Approve, cmd.Answers); why != nil {
		return h.rejectCommand(ctx, msg, reject, fmt.Errorf("promotion %s, step %q: %w", cmd.Promotion, cmd.Step, why))
	}
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	in := &v1.StepInput{Actor: cmd.Actor, At: md.Timestamp.UTC(), Approved: cmd.Approve, Answers: cmd.Answers, Comment: cmd.Comment}
	rec := &v1.PromotionRecord{Op: v1.RecordInput, Project: project, Name: cmd.Promotion, Step: cmd.Step, Input: in}
	id := cmd.Promotion + "/input/" + strconv.FormatUint(md.Sequence.Stream, 10)
	return h.Bus.Publish(ctx, bus.PromotionRecordSubject(project), id, rec)
}
