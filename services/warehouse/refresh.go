package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/trace"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
)

// handleRefresh makes the Warehouse a refresh command names due at once and acks the command
// once a discovery ran for it (or ctx ends). A command whose ID the Warehouse already handled
// is acked at once; one naming no Warehouse is answered with command.rejected. One that does
// not decode or fails its checks (names, project) is poisoned before any key is built from it,
// and answered with command.rejected when its project is valid.
func (s *tracker) handleRefresh(ctx context.Context, msg jetstream.Msg) error {
	project := projectOf(msg.Subject()) // the subject is what NATS permissions fence
	if err := names.Field("subject project", project, names.Project); err != nil {
		return bus.Poison(bus.ReasonInvalid, err)
	}
	if _, err := audit.CommandActor(msg.Subject(), ""); err != nil { // who sent it is recorded
		audit.Refuse(ctx, err)
		return bus.Poison(bus.ReasonInvalid, err)
	}
	var cmd v1.RefreshCommand
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		return bus.Poison(bus.ReasonUndecodable, fmt.Errorf("decode refresh command: %w", err))
	}
	if err := checkRefresh(&cmd, project); err != nil {
		cmd.Project = project
		if rerr := s.rejectWith(ctx, msg, &cmd, err.Error()); rerr != nil {
			return rerr
		}
		return bus.Poison(bus.ReasonInvalid, err)
	}
	cmd.Project = project
	done, ok := s.requestRefresh(ctx, cmd)
	if !ok {
		found, err := s.load(ctx, cmd.Project, cmd.Warehouse)
		if err != nil {
			return err
		}
		if !found {
			return s.reject(ctx, msg, &cmd)
		}
		if done, ok = s.requestRefresh(ctx, cmd); !ok {
			return fmt.Errorf("warehouse %s/%s vanished", cmd.Project, cmd.Warehouse)
		}
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// requestRefresh makes the Warehouse due now and returns a channel closed once a discovery
// started after this call finished; that discovery continues the trace of ctx. It reports
// false for an unknown Warehouse.
func (s *tracker) requestRefresh(ctx context.Context, cmd v1.RefreshCommand) (<-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[bus.Key(cmd.Project, cmd.Warehouse)]
	if !ok {
		return nil, false
	}
	r := &refreshRequest{id: cmd.ID, done: make(chan struct{}), at: time.Now(), artifact: cmd.Artifact,
		trace: trace.SpanContextFromContext(ctx)}
	if cmd.ID != "" && cmd.ID == e.status.LastHandledRefresh {
		close(r.done) // redelivered after it was handled
		return r.done, true
	}
	e.refreshes = append(e.refreshes, r)
	s.dueNow(e)
	s.poke()
	return r.done, true
}

// load tracks a Warehouse the watch has not delivered yet (applied a moment ago), reporting
// whether it exists.
func (s *tracker) load(ctx context.Context, project, name string) (bool, error) {
	var wh v1.Warehouse
	_, err := s.Bus.GetJSON(ctx, s.Bus.Resources, bus.ResourceKey(project, v1.KindWarehouse, name), &wh)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	wh.Metadata.Name = name
	s.upsert(ctx, project, wh)
	return true, nil
}

// reject answers a refresh of an unknown Warehouse with a command.rejected event.
func (s *tracker) reject(ctx context.Context, msg jetstream.Msg, cmd *v1.RefreshCommand) error {
	return s.rejectWith(ctx, msg, cmd, fmt.Sprintf("warehouse %q does not exist in project %q", cmd.Warehouse, cmd.Project))
}

// rejectWith answers a refresh command with a command.rejected event saying cause, and marks
// it refused in the audit trail. An ID that fails its check is left out of the event.
func (s *tracker) rejectWith(ctx context.Context, msg jetstream.Msg, cmd *v1.RefreshCommand, cause string) error {
	if checkID(cmd.ID) != nil {
		cmd.ID = ""
	}
	audit.Refuse(ctx, errors.New(cause))
	s.Log.Warn("refresh command rejected", "project", cmd.Project, "err", cause)
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	id := "command/" + strconv.FormatUint(md.Sequence.Stream, 10) + "/rejected"
	data := v1.CommandRejected{Project: cmd.Project, Command: "refresh", ID: cmd.ID, Message: cause}
	return s.Bus.PublishEvent(ctx, cmd.Project, v1.TypeCommandRejected, id, "command/"+cmd.ID, data)
}

// maxID bounds the IDs senders choose.
const maxID = 253

// checkRefresh checks a refresh command before any key is built from it.
func checkRefresh(cmd *v1.RefreshCommand, project string) error {
	var errs []error
	if cmd.Project != "" && cmd.Project != project {
		errs = append(errs, fmt.Errorf("project: the command names project %s but was sent on project %s's subject", short(cmd.Project), project))
	}
	errs = append(errs, names.Field("warehouse", cmd.Warehouse, names.Object), checkID(cmd.ID))
	return errors.Join(errs...)
}

// checkID checks a sender-chosen ID, which may be empty: printable, no spaces, at most maxID
// bytes; it is recorded in the Warehouse's status.
func checkID(id string) error {
	if len(id) > maxID {
		return fmt.Errorf("id: %s is longer than %d bytes", short(id), maxID)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("id: %s holds %q; use printable ASCII without spaces", short(id), c)
		}
	}
	return nil
}

// short quotes s for an error, cut short: an error must not echo a hostile 5,000 bytes.
func short(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q… (%d bytes)", s[:64], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// projectOf is the project token of dray.cmd.<project>.refresh.
func projectOf(subject string) string {
	parts := strings.SplitN(subject, ".", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}
