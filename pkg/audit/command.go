package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
)

// verdict is where a command handler leaves why it rejected its command, or what safeguard
// carrying it out bypassed.
type verdict struct{ reason, override string }

type verdictKey struct{}

// Refuse marks the command being handled under ctx (see Commands) as rejected, for reason.
// Outside Commands it does nothing.
func Refuse(ctx context.Context, reason error) {
	if v, ok := ctx.Value(verdictKey{}).(*verdict); ok && reason != nil {
		v.reason = reason.Error()
	}
}

// Overrode marks the command being handled under ctx (see Commands) as carried out past a
// safeguard, e.g. v1.OverridePromotionWindows; its record says so. Outside Commands it does
// nothing.
func Overrode(ctx context.Context, what string) {
	if v, ok := ctx.Value(verdictKey{}).(*verdict); ok {
		v.override = what
	}
}

// Commands wraps a command handler (of DRAY_COMMANDS) so that every command it accepts or
// rejects appends a record with source bus: rejected when the handler called Refuse, accepted
// otherwise. A handler error leaves the command for redelivery, and it is recorded once it is
// handled. When the record cannot be stored the command is not acknowledged either: it is
// handled again later (handlers are idempotent), so no command takes effect unrecorded for
// good. The record's ID derives from the command's stream sequence, so a redelivered command
// is recorded once.
//
// Options: WithFailures counts the records the trail did not take.
func Commands(b publisher, log *slog.Logger, h bus.Handler, opts ...CommandsOption) bus.Handler {
	var o commandsOptions
	for _, opt := range opts {
		opt(&o)
	}
	return func(ctx context.Context, msg jetstream.Msg) error {
		v := &verdict{}
		err := h(context.WithValue(ctx, verdictKey{}, v), msg)
		// A poisoned command is refused for good (it is dead-lettered): record it as such.
		var poison *bus.PoisonError
		if errors.As(err, &poison) && v.reason == "" {
			v.reason = poison.Err.Error()
		}
		if err != nil && !errors.Is(err, bus.ErrHandled) && poison == nil {
			return err
		}
		rec := CommandRecord(msg.Subject(), msg.Data(), v.reason)
		if v.reason == "" {
			rec.Override = v.override
		}
		if md, merr := msg.Metadata(); merr == nil {
			rec.ID, rec.Time = "bus/"+strconv.FormatUint(md.Sequence.Stream, 10), md.Timestamp.UTC()
		}
		if aerr := Append(ctx, b, &rec, ""); aerr != nil {
			o.failures.Inc(v1.AuditSourceBus)
			if err != nil { // already acknowledged: nothing will bring it back
				log.Error("command handled but not recorded in the audit trail", "subject", msg.Subject(), "actor", rec.Actor, "result", rec.Result, "err", aerr)
				return err
			}
			return aerr
		}
		return err
	}
}

// CommandsOption tunes Commands.
type CommandsOption func(*commandsOptions)

type commandsOptions struct{ failures *Failures }

// WithFailures counts in f the records the trail did not take. Default: not counted.
func WithFailures(f *Failures) CommandsOption { return func(o *commandsOptions) { o.failures = f } }

// maxName bounds a name or actor a command record keeps: a DNS-1123 subdomain's length.
const maxName = 253

// ErrNoActor refuses a command whose subject does not say who sent it.
var ErrNoActor = errors.New("the command's sender cannot be established")

// CommandActor is who sent a command read on subject, whose body claims actor claimed
// (pkg/bus/README.md, "Who may do what on the bus"):
//   - dray.cmd.<project>.<verb>.<name>: the project's token name, token:<project>/<name>,
//     whatever the body claims (only that token may publish there);
//   - dray.cmd.<project>.<verb>._nkey: the project's nkey user, nats:project-<project>;
//   - dray.cmd.<project>.<verb>: the actor the body names, which only the gateway (for the
//     caller it authenticated) and admins may publish; unknown when it names none.
//
// Any other shape is ErrNoActor.
func CommandActor(subject, claimed string) (string, error) {
	parts := strings.Split(subject, ".")
	switch {
	case len(parts) == 4 && claimed == "":
		return "unknown", nil
	case len(parts) == 4:
		return claimed, nil
	case len(parts) != 5:
	case parts[4] == bus.NKeyIdentity:
		return "nats:" + bus.ProjectRole(parts[2]), nil
	case names.Project(parts[4]) == nil:
		return access.Identity{Name: parts[4], Project: parts[2]}.Actor(), nil
	}
	if len(subject) > maxName {
		subject = subject[:maxName] + "…"
	}
	return "", fmt.Errorf("%w: subject %q is neither dray.cmd.<project>.<verb> nor dray.cmd.<project>.<verb>.<token name>", ErrNoActor, subject)
}

// CommandRecord is the audit record of a command read on subject dray.cmd.<project>.<verb>
// (or dray.cmd.<project>.<verb>.<sender>) with body data, rejected for reason (accepted when
// empty). It reads only the names a command carries, and its actor as CommandActor
// establishes it; ID and Time are left to the caller.
func CommandRecord(subject string, data []byte, reason string) v1.AuditRecord {
	parts := strings.Split(subject, ".")
	rec := v1.AuditRecord{Source: v1.AuditSourceBus, Result: v1.AuditAllowed, Reason: reason, Time: time.Now().UTC()}
	if reason != "" {
		rec.Result = v1.AuditRefused
	}
	if len(parts) >= 4 {
		rec.Project, rec.Verb = parts[2], parts[3]
	}
	var cmd struct {
		Actor     string `json:"actor"`
		Stage     string `json:"stage"`
		Freight   string `json:"freight"`
		Promotion string `json:"promotion"`
		Warehouse string `json:"warehouse"`
	}
	_ = json.Unmarshal(data, &cmd)
	// A hostile command may carry names of any length: the record keeps a bounded prefix.
	for _, f := range []*string{&cmd.Actor, &cmd.Stage, &cmd.Freight, &cmd.Promotion, &cmd.Warehouse} {
		if len(*f) > maxName {
			*f = (*f)[:maxName] + "…"
		}
	}
	actor, err := CommandActor(subject, cmd.Actor)
	if err != nil {
		actor = "unknown"
	}
	if len(actor) > maxName {
		actor = actor[:maxName] + "…"
	}
	rec.Actor = actor
	switch rec.Verb {
	case "promote", "verify", "pause", "resume":
		rec.Resource, rec.Name = access.ResourceStages, cmd.Stage
	case "approve", "reject":
		rec.Resource, rec.Name = access.ResourceFreight, cmd.Freight
	case "abort", "wake", "input":
		rec.Resource, rec.Name = access.ResourcePromotions, cmd.Promotion
	case "refresh":
		rec.Resource, rec.Name = access.ResourceWarehouses, cmd.Warehouse
	}
	return rec
}
