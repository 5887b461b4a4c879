package bus

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configures an in-process NATS server.
type EmbeddedOptions struct {
	// Dir is where JetStream keeps its data. Required.
	Dir string
	// Host and Port to listen on. Port -1 picks a free port; 0 means the NATS default 4222.
	Host string
	Port int
	// Users, when set, are the only clients the server accepts (see Users); nil accepts
	// every client, as tests of other things do.
	Users *Users
}

// StartEmbedded starts a nats-server with JetStream on Dir, in this process, and waits until it
// accepts connections. Shut it down with Shutdown and WaitForShutdown.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("%w: embedded NATS needs a data directory", ErrInvalidOption)
	}
	var err error
	host := o.Host
	if host == "" {
		host = "127.0.0.1"
	}
	so := &server.Options{
		ServerName: "dray",
		Host:       host,
		Port:       o.Port,
		JetStream:  true,
		StoreDir:   o.Dir,
		NoSigs:     true,
		NoLog:      true,
	}
	if o.Users != nil {
		if so.Nkeys, err = o.Users.ServerUsers(); err != nil {
			return nil, err
		}
		if so.AuthCallout, err = o.Users.ServerCallout(); err != nil {
			return nil, err
		}
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("configure embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded NATS on %s:%d did not start within 10s", host, o.Port)
	}
	return ns, nil
}
