package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/token"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

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

// Senders authorizes the commands API tokens send on the bus as the API authorizes their
// requests: the auth callout lets a token publish a verb its role allows on some resource,
// and this checks the resource the command names (a role may promote dev but not prod).
type Senders struct {
	bus      *bus.Bus
	policies *access.PolicyIndex
	now      func() time.Time
}

// WatchSenders loads the declared roles of b and follows them until ctx ends.
func WatchSenders(ctx context.Context, b *bus.Bus) (*Senders, error) {
	policies, err := access.WatchPolicies(ctx, b.Resources)
	if err != nil {
		return nil, err
	}
	return &Senders{bus: b, policies: policies, now: time.Now}, nil
}

// authorize says why a command a token sent is refused (refusal): the token is revoked or
// expired, or its role may not do the command on the resource the command names. It reads
// the token from dray-tokens (the leader's copy), so a token revoked a moment ago is refused
// although its connection lasts; err is a failed read, to try again. Commands of the gateway
// (which checked its caller), of admins and of a project's nkey pass.
func (z *Senders) authorize(ctx context.Context, msg jetstream.Msg) (refusal, err error) {
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
