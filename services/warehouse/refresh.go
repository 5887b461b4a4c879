package warehouse

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
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
)

// handleRefresh makes the Warehouse a refresh command names due at once and acks the command
// once a discovery ran for it (or ctx ends). A command whose ID the Warehouse already handled
// is acked at once; one naming no Warehouse is answered with command.rejected.
func (s *tracker) handleRefresh(ctx context.Context, msg jetstream.Msg) error {
	var cmd v1.RefreshCommand
	if err := json.Unmarshal(msg.Data(), &cmd); err != nil {
		audit.Refuse(ctx, fmt.Errorf("decode refresh command: %w", err))
		s.Log.Error("dropping refresh command that does not decode", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return bus.ErrHandled
	}
	cmd.Project = projectOf(msg.Subject()) // the subject is what NATS permissions fence
	done, ok := s.requestRefresh(cmd)
	if !ok {
		found, err := s.load(ctx, cmd.Project, cmd.Warehouse)
		if err != nil {
			return err
		}
		if !found {
			return s.reject(ctx, msg, &cmd)
		}
		if done, ok = s.requestRefresh(cmd); !ok {
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
// started after this call finished. It reports false for an unknown Warehouse.
func (s *tracker) requestRefresh(cmd v1.RefreshCommand) (<-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[bus.Key(cmd.Project, cmd.Warehouse)]
	if !ok {
		return nil, false
	}
	r := &refreshRequest{id: cmd.ID, done: make(chan struct{}), at: time.Now(), artifact: cmd.Artifact}
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
	cause := fmt.Sprintf("warehouse %q does not exist in project %q", cmd.Warehouse, cmd.Project)
	audit.Refuse(ctx, errors.New(cause))
	s.Log.Warn("refresh command rejected", "project", cmd.Project, "warehouse", cmd.Warehouse, "err", cause)
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	id := "command/" + strconv.FormatUint(md.Sequence.Stream, 10) + "/rejected"
	data := v1.CommandRejected{Project: cmd.Project, Command: "refresh", ID: cmd.ID, Message: cause}
	return s.Bus.PublishEvent(ctx, cmd.Project, v1.TypeCommandRejected, id, "command/"+cmd.ID, data)
}

// projectOf is the project token of dray.cmd.<project>.refresh.
func projectOf(subject string) string {
	parts := strings.SplitN(subject, ".", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}
