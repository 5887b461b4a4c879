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
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// handleInput checks a person's approval or answers for a human step and asks the state
// service to record them on the step. Only the gateway (which fills in who the person is
// from the identity it authenticated) and admins may send it: a token's or a project nkey's
// command could claim any role. An input that can never count (the step is not waiting,
// the person is no approver, approved already or asked for the Promotion, the answers do
// not fit the form) is answered with command.rejected.
func (s *scheduler) handleInput(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.StepInputCommand
	project := check.Project(msg.Subject())
	reject := v1.CommandRejected{Command: "input"}
	if strings.Count(msg.Subject(), ".") != 3 {
		return s.refuse(ctx, msg, reject, bus.ReasonForbidden, errors.New("input commands come from the gateway, which establishes who approves or answers: use dray approve --promotion or dray answer"))
	}
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return s.refuse(ctx, msg, reject, bus.ReasonUndecodable, fmt.Errorf("decode input command: %w", err))
	}
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("promotion", cmd.Promotion, names.Object),
		check.ID("step", cmd.Step)); err != nil {
		return s.refuse(ctx, msg, reject, bus.ReasonInvalid, err)
	}
	var p v1.Promotion
	if _, err := s.Bus.GetLatestJSON(ctx, s.Bus.Promotions, bus.Key(project, cmd.Promotion), &p); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return s.rejectCommand(ctx, msg, reject, fmt.Errorf("promotion %q does not exist in project %q", cmd.Promotion, project))
		}
		return err
	}
	reject.Stage = p.Spec.Stage
	who := promotion.Person{Actor: cmd.Actor, Roles: cmd.Roles, Claims: cmd.Claims}
	if why := promotion.RefuseInput(&p, cmd.Step, who, cmd.Approve, cmd.Answers); why != nil {
		return s.rejectCommand(ctx, msg, reject, fmt.Errorf("promotion %s, step %q: %w", cmd.Promotion, cmd.Step, why))
	}
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	in := &v1.StepInput{Actor: cmd.Actor, At: md.Timestamp.UTC(), Approved: cmd.Approve, Answers: cmd.Answers, Comment: cmd.Comment}
	rec := &v1.PromotionRecord{Op: v1.RecordInput, Project: project, Name: cmd.Promotion, Step: cmd.Step, Input: in}
	id := cmd.Promotion + "/input/" + strconv.FormatUint(md.Sequence.Stream, 10)
	return s.Bus.Publish(ctx, bus.PromotionRecordSubject(project), id, rec)
}
