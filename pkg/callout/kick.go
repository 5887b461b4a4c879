package callout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/drayhq/dray/pkg/bus"
)

// gone is how nats-server says the client to disconnect is not there (any more).
const gone = "no such client"

// SystemKicker asks nats-server to disconnect a client over Conn, a connection of the
// system account's user (bus.RoleSystem, whose permissions allow only this request): the
// external layout's gateway (pkg/bus/README.md, "Outside systems").
type SystemKicker struct {
	Conn *nats.Conn
	// Timeout bounds the wait for the server's answer; default 5s.
	Timeout time.Duration
}

// Kick sends bus.KickSubject(server) {"cid": cid} and reads the server's answer.
func (k SystemKicker) Kick(ctx context.Context, srv string, cid uint64) error {
	body, err := json.Marshal(server.KickClientReq{CID: cid})
	if err != nil {
		return fmt.Errorf("kick NATS client %d: %w", cid, err)
	}
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m, err := k.Conn.RequestWithContext(ctx, bus.KickSubject(srv), body)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil // no such server (any more): its clients went with it
	}
	if err != nil {
		return fmt.Errorf("kick NATS client %d of server %s: %w", cid, srv, err)
	}
	var resp struct {
		Error *server.ApiError `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return fmt.Errorf("kick NATS client %d of server %s: undecodable answer: %w", cid, srv, err)
	}
	if resp.Error != nil && !strings.Contains(resp.Error.Description, gone) {
		return fmt.Errorf("kick NATS client %d of server %s: %s", cid, srv, resp.Error.Description)
	}
	return nil
}

// ServerKicker disconnects the clients of a nats-server running in this process (dray up).
type ServerKicker struct{ Server *server.Server }

// Kick disconnects client cid when srv is the server's ID; a client of another server (one
// that ran before a restart) is gone.
func (k ServerKicker) Kick(_ context.Context, srv string, cid uint64) error {
	if srv != k.Server.ID() {
		return nil
	}
	if err := k.Server.DisconnectClientByID(cid); err != nil && !strings.Contains(err.Error(), gone) {
		return fmt.Errorf("kick NATS client %d: %w", cid, err)
	}
	return nil
}
