package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// runHuman decides a human step (docs/steps/wait-for-approval.md, docs/steps/get-user-input.md)
// from the inputs recorded on it. It returns nil, recording nothing, while the step waits
// and its recorded message still says why: the step is decided again when an input is
// recorded (its event reaches reconcile) or when its timeout passes (a timer, armed here and
// again at start by resumeHuman), never by polling.
func (s *scheduler) runHuman(ctx context.Context, job *v1.StepJob) (*v1.StepResult, error) {
	var p v1.Promotion
	if _, err := s.Bus.GetLatestJSON(ctx, s.Bus.Promotions, bus.Key(job.Project, job.Promotion), &p); err != nil {
		return nil, err
	}
	cfg, err := promotion.DecodeHuman(job.Uses, job.Alias, job.Config)
	if err != nil {
		return &v1.StepResult{Status: v1.StepFailed, Terminal: true, Reason: "InvalidConfig", Message: err.Error()}, nil
	}
	var m *v1.StepExecutionMetadata
	if job.Step < len(p.Status.StepExecutionMetadata) {
		m = &p.Status.StepExecutionMetadata[job.Step]
	}
	now := time.Now()
	o := promotion.Human(job.Uses, cfg, m, p.Metadata.Annotations[v1.AnnotationCreateActor], now)
	r := &v1.StepResult{Status: o.Status, Reason: o.Reason, Message: o.Message, Outputs: o.Outputs}
	switch o.Status {
	case v1.StepRunning:
		project, name := job.Project, job.Promotion
		s.timers.At("human/"+bus.Key(project, name), o.Deadline, func(ctx context.Context) {
			if err := s.reconcile(ctx, project, name); err != nil && ctx.Err() == nil {
				s.Log.Warn("human step not decided at its timeout; it is on the next event or restart", "project", project, "promotion", name, "err", err)
			}
		})
		if m != nil && m.Status == v1.StepRunning && m.Message == o.Message {
			return nil, nil // recorded already: wait
		}
		r.RetryAfter = max(time.Until(o.Deadline), time.Second).Round(time.Second).String()
	case v1.StepFailed:
		r.Terminal, r.Message = true, fmt.Sprintf("step %q: %s", job.Alias, o.Message)
	}
	return r, nil
}

// resumeHuman decides again, at start, every Running Promotion whose current step is a human
// one: that arms the timers of their timeouts, which do not outlive the process.
func (s *scheduler) resumeHuman(ctx context.Context) error {
	ps, err := store.List[v1.Promotion](ctx, s.Bus, s.Bus.Promotions, ">")
	if err != nil {
		return err
	}
	for _, p := range ps {
		meta := p.Status.StepExecutionMetadata
		if p.Status.Phase != v1.PhaseRunning || p.Status.CurrentStep >= len(meta) || !promotion.IsHuman(meta[p.Status.CurrentStep].Uses) {
			continue
		}
		if err := s.reconcile(ctx, p.Metadata.Namespace, p.Metadata.Name); err != nil {
			return err
		}
	}
	return nil
}

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
