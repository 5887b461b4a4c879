// Package commands handles the commands the scheduler consumes (pkg/bus/README.md): it
// establishes and authorizes each sender, checks the command, and turns it into a record for
// the state service, or answers it with command.rejected naming what is wrong.
package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// Handler handles commands. Its fields are set by the scheduler.
type Handler struct {
	Bus *bus.Bus
	Log *slog.Logger
	// Senders authorizes the commands API tokens send.
	Senders *Senders
	// Wake runs the waiting attempt of a step now: the scheduler prepares the step again.
	Wake func(ctx context.Context, msg jetstream.Msg) error
}

// Handle turns a command into a record for the state service. A command whose
// subject names no valid project is poisoned before anything else, and one whose sender
// cannot be established is refused; the handlers check the rest.
func (h *Handler) Handle(ctx context.Context, msg jetstream.Msg) error {
	if _, err := check.SubjectProject(msg.Subject()); err != nil {
		return check.Invalid(err)
	}
	verb := commandVerb(msg.Subject())
	msg, err := withActor(msg)
	if err != nil {
		return h.refuse(ctx, msg, v1.CommandRejected{Command: verb}, bus.ReasonInvalid, err)
	}
	refusal, err := h.Senders.authorize(ctx, msg)
	switch {
	case err != nil:
		return err // handled again later
	case refusal != nil:
		return h.refuse(ctx, msg, v1.CommandRejected{Command: verb}, bus.ReasonForbidden, refusal)
	}
	switch verb {
	case "abort":
		return h.handleAbort(ctx, msg)
	case "approve":
		return h.handleApprove(ctx, msg)
	case "reject":
		return h.handleReject(ctx, msg)
	case "verify":
		return h.handleVerify(ctx, msg)
	case "wake":
		return h.Wake(ctx, msg)
	case "pause":
		return h.handlePause(ctx, msg, v1.StagePause)
	case "resume":
		return h.handlePause(ctx, msg, v1.StageResume)
	case "promote":
		return h.handlePromote(ctx, msg)
	case "input":
		return h.handleInput(ctx, msg)
	}
	return check.Invalid(fmt.Errorf("subject %s: no command %s", msg.Subject(), check.Short(verb)))
}

// commandVerb is the verb token of dray.cmd.<project>.<verb>[.<sender>].
func commandVerb(subject string) string {
	parts := strings.SplitN(subject, ".", 5)
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

// refuse answers a command that fails its checks with command.rejected, and then poisons it
// for reason, so it is recorded on DRAY_DEAD too. When the answer cannot be sent, the command
// is retried.
func (h *Handler) refuse(ctx context.Context, msg jetstream.Msg, data v1.CommandRejected, reason string, cause error) error {
	if err := h.rejectCommand(ctx, msg, data, cause); err != nil {
		return err
	}
	return bus.Poison(reason, cause)
}

// rejectCommand answers a command that can never be carried out with a command.rejected
// event naming what is wrong; data names the command and what it was about. Names and IDs
// that fail their checks are left out of the event (the message says what is wrong with
// them), so it carries no hostile value.
func (h *Handler) rejectCommand(ctx context.Context, msg jetstream.Msg, data v1.CommandRejected, cause error) error {
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
	h.Log.Warn(data.Command+" command rejected", "subject", msg.Subject(), "stage", data.Stage, "freight", data.Freight, "err", cause)
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	data.Project, data.Message = check.Project(msg.Subject()), cause.Error()
	id := "command/" + strconv.FormatUint(md.Sequence.Stream, 10) + "/rejected"
	return h.Bus.PublishEvent(ctx, data.Project, v1.TypeCommandRejected, id, "command/"+data.ID, data)
}
