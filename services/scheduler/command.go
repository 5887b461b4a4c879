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

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/token"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

// handleCommand turns a command into a record for the state service. A command whose
// subject names no valid project is poisoned before anything else, and one whose sender
// cannot be established is refused; the handlers check the rest.
func (s *scheduler) handleCommand(ctx context.Context, msg jetstream.Msg) error {
	if _, err := check.SubjectProject(msg.Subject()); err != nil {
		return check.Invalid(err)
	}
	verb := commandVerb(msg.Subject())
	msg, err := withActor(msg)
	if err != nil {
		return s.refuse(ctx, msg, v1.CommandRejected{Command: verb}, bus.ReasonInvalid, err)
	}
	refusal, err := s.senders.authorize(ctx, msg)
	switch {
	case err != nil:
		return err // handled again later
	case refusal != nil:
		return s.refuse(ctx, msg, v1.CommandRejected{Command: verb}, bus.ReasonForbidden, refusal)
	}
	switch verb {
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
	case "input":
		return s.handleInput(ctx, msg)
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

// withActor returns msg with the actor its subject establishes in place of the one its body
// claims (audit.CommandActor): a credential publishes under its own name, so what it writes
// in the body does not count. A body that is not a JSON object is left to its handler.
func withActor(msg jetstream.Msg) (jetstream.Msg, error) {
	if strings.Count(msg.Subject(), ".") == 3 { // the gateway's or an admin's: the body names the actor
		return msg, nil
	}
	actor, err := audit.CommandActor(msg.Subject(), "")
	if err != nil {
		return msg, err
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(msg.Data(), &body) != nil || body == nil {
		return msg, nil
	}
	if body["actor"], err = json.Marshal(actor); err != nil {
		return msg, err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return msg, err
	}
	return actorMsg{Msg: msg, data: data}, nil
}

// senders authorizes the commands API tokens send on the bus as the API authorizes their
// requests: the auth callout lets a token publish a verb its role allows on some resource,
// and this checks the resource the command names (a role may promote dev but not prod).
type senders struct {
	bus      *bus.Bus
	policies *access.PolicyIndex
	now      func() time.Time
}

// watchSenders loads the declared roles of b and follows them until ctx ends.
func watchSenders(ctx context.Context, b *bus.Bus) (*senders, error) {
	policies, err := access.WatchPolicies(ctx, b.Resources)
	if err != nil {
		return nil, err
	}
	return &senders{bus: b, policies: policies, now: time.Now}, nil
}

// authorize says why a command a token sent is refused (refusal): the token is revoked or
// expired, or its role may not do the command on the resource the command names. It reads
// the token from dray-tokens (the leader's copy), so a token revoked a moment ago is refused
// although its connection lasts; err is a failed read, to try again. Commands of the gateway
// (which checked its caller), of admins and of a project's nkey pass.
func (z *senders) authorize(ctx context.Context, msg jetstream.Msg) (refusal, err error) {
	parts := strings.Split(msg.Subject(), ".")
	if len(parts) != 5 || parts[4] == bus.NKeyIdentity {
		return nil, nil
	}
	project, verb, name := parts[2], parts[3], parts[4]
	c, ok := access.CommandOf(verb)
	if !ok {
		return fmt.Errorf("%s: a token may not send %s commands", msg.Subject(), check.Short(verb)), nil
	}
	var t v1.APIToken
	_, err = z.bus.GetLatestJSON(ctx, z.bus.Tokens, token.Key(project, name), &t)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return fmt.Errorf("%s: %w: token %s of project %s", msg.Subject(), token.ErrUnknown, name, project), nil
	case err != nil:
		return nil, err
	case t.ExpiresAt != nil && !z.now().Before(*t.ExpiresAt):
		return fmt.Errorf("%s: %w: token %s of project %s expired at %s", msg.Subject(), token.ErrExpired, name, project, t.ExpiresAt.Format(time.RFC3339)), nil
	}
	var body map[string]json.RawMessage
	_ = json.Unmarshal(msg.Data(), &body)
	var target string
	_ = json.Unmarshal(body[c.NameField], &target)
	id := access.Identity{Name: t.Name, Project: t.Project, Role: t.Role}
	return access.Decide(id, access.Request{Verb: c.Verb, Resource: c.Resource, Project: project, Name: target}, z.policies.Get(project)), nil
}

// actorMsg is a command whose body carries the actor its subject established.
type actorMsg struct {
	jetstream.Msg
	data []byte
}

func (m actorMsg) Data() []byte { return m.data }

// handleAbort asks the state service to stop a Promotion. Stopping is recorded there, so an
// abort and a step result never overwrite each other.
func (s *scheduler) handleAbort(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.AbortCommand
	project := check.Project(msg.Subject())
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return s.refuse(ctx, msg, v1.CommandRejected{Command: "abort"}, bus.ReasonUndecodable, fmt.Errorf("decode abort command: %w", err))
	}
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("promotion", cmd.Promotion, names.Object)); err != nil {
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
	project := check.Project(msg.Subject())
	if err := errors.Join(check.SameProject(cmd.Project, project, true), names.Field("stage", cmd.Stage, names.Object),
		names.Field("freight", cmd.Freight, names.Object), check.ID("id", cmd.ID)); err != nil {
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
	if _, ok := p.Metadata.Annotations[v1.AnnotationWindowOverride]; ok {
		audit.Overrode(ctx, v1.OverridePromotionWindows)
	}
	rec := &v1.PromotionRecord{Op: v1.RecordCreate, Project: cmd.Project, Name: p.Metadata.Name, Promotion: p}
	return s.Bus.Publish(ctx, bus.PromotionRecordSubject(cmd.Project), p.Metadata.Name+"/create", rec)
}

// reject answers a bad promote command with a command.rejected event naming what is wrong.
func (s *scheduler) reject(ctx context.Context, msg jetstream.Msg, cmd *v1.PromoteCommand, cause error) error {
	return s.rejectCommand(ctx, msg, v1.CommandRejected{Command: "promote", ID: cmd.ID, Stage: cmd.Stage, Freight: cmd.Freight}, cause)
}
