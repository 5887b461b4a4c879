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
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// handleVerify re-runs a Stage's verification of its current Freight (dray verify): the run
// goes ahead of the Stage's queue, as after a Promotion.
func (h *Handler) handleVerify(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.VerifyCommand
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: "verify"}, bus.ReasonUndecodable, fmt.Errorf("decode verify command: %w", err))
	}
	project := check.Project(msg.Subject())
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("stage", cmd.Stage, names.Object),
		check.ID("id", cmd.ID)); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: "verify", ID: cmd.ID, Stage: cmd.Stage}, bus.ReasonInvalid, err)
	}
	reject := func(err error) error {
		return h.rejectCommand(ctx, msg, v1.CommandRejected{Command: "verify", ID: cmd.ID, Stage: cmd.Stage}, err)
	}
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	if cmd.ID == "" {
		cmd.ID = strconv.FormatUint(md.Sequence.Stream, 10)
	}
	st, err := store.StageStatus(ctx, h.Bus, project, cmd.Stage)
	if err != nil {
		return err
	}
	freight, err := stage.Reverify(cmd.Stage, &st)
	if err != nil {
		return reject(err)
	}
	key := "reverify/" + cmd.ID
	p, err := promote.Verification(ctx, h.Bus, project, cmd.Stage, freight, key, cmd.Actor, key, md.Timestamp)
	if promote.IsRejected(err) {
		return reject(err)
	}
	if err != nil {
		return err
	}
	rec := &v1.PromotionRecord{Op: v1.RecordCreate, Project: project, Name: p.Metadata.Name, Promotion: p, Front: true}
	return h.Bus.Publish(ctx, bus.PromotionRecordSubject(project), p.Metadata.Name+"/create", rec)
}

// handlePause records a pause or resume of a Stage (dray pause, dray resume).
func (h *Handler) handlePause(ctx context.Context, msg jetstream.Msg, op string) error {
	var cmd v1.StageCommand
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: op}, bus.ReasonUndecodable, fmt.Errorf("decode %s command: %w", op, err))
	}
	project := check.Project(msg.Subject())
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("stage", cmd.Stage, names.Object)); err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: op, Stage: cmd.Stage}, bus.ReasonInvalid, err)
	}
	if _, err := store.Stage(ctx, h.Bus, project, cmd.Stage); errors.Is(err, store.ErrNotFound) {
		return h.rejectCommand(ctx, msg, v1.CommandRejected{Command: op, Stage: cmd.Stage}, err)
	} else if err != nil {
		return err
	}
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	at := md.Timestamp.UTC()
	rec := &v1.StageRecord{Op: op, Project: project, Stage: cmd.Stage, Actor: cmd.Actor, Reason: cmd.Reason, At: &at}
	id := project + "/" + cmd.Stage + "/" + op + "/" + strconv.FormatUint(md.Sequence.Stream, 10)
	return h.Bus.Publish(ctx, bus.StageRecordSubject(project), id, rec)
}
