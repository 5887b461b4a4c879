package bustest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/drayhq/dray/pkg/bus"
)

// Cluster is a NATS cluster of embedded servers with JetStream, for one test: routes on
// loopback, each server's data in its own temp directory, so a server can be stopped and
// started again on its data, as after a node loss.
type Cluster struct {
	t       testing.TB
	opts    []*server.Options
	Servers []*server.Server // nil while stopped
}

// StartCluster starts n servers that form one JetStream cluster, and waits until it has a
// meta leader; they are shut down when the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, Servers: make([]*server.Server, n)}
	clientPorts, routePorts := freePorts(t, n), freePorts(t, n)
	var routes []*url.URL
	for _, p := range routePorts {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	base := t.TempDir()
	for i := range n {
		c.opts = append(c.opts, &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   filepath.Join(base, fmt.Sprintf("n%d", i+1)),
			Cluster:    server.ClusterOpts{Name: "dray", Host: "127.0.0.1", Port: routePorts[i]},
			Routes:     routes,
			NoSigs:     true,
			NoLog:      true,
		})
	}
	for i := range n {
		c.Start(i)
	}
	t.Cleanup(func() {
		for i := range c.Servers {
			c.Stop(i)
		}
	})
	c.waitReady()
	return c
}

// Start starts server i (again) on its data directory and ports.
func (c *Cluster) Start(i int) {
	c.t.Helper()
	o := *c.opts[i]
	ns, err := server.NewServer(&o)
	if err != nil {
		c.t.Fatalf("configure NATS server %s: %v", o.ServerName, err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		c.t.Fatalf("NATS server %s did not start within 10s", o.ServerName)
	}
	c.Servers[i] = ns
}

// Stop shuts server i down, as a lost node; its data stays for Start.
func (c *Cluster) Stop(i int) {
	if ns := c.Servers[i]; ns != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		c.Servers[i] = nil
	}
}

// URL lists every server's client URL, comma-separated, as --nats-url takes them.
func (c *Cluster) URL() string {
	var urls []string
	for _, o := range c.opts {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(urls, ",")
}

// NodeURL is server i's client URL alone.
func (c *Cluster) NodeURL(i int) string {
	return fmt.Sprintf("nats://127.0.0.1:%d", c.opts[i].Port)
}

// StreamLeader returns the index of the server that leads stream, or -1 when none does.
func (c *Cluster) StreamLeader(stream string) int {
	for i, ns := range c.Servers {
		if ns != nil && ns.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// Connect opens a connection to every server, which reconnects forever, and declares the
// layout with as many replicas as servers; both are closed when the test ends.
func (c *Cluster) Connect(t testing.TB) *bus.Bus {
	t.Helper()
	nc, err := nats.Connect(c.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatalf("connect to NATS cluster: %v", err)
	}
	t.Cleanup(nc.Close)
	b, err := bus.New(t.Context(), nc, bus.Options{Replicas: len(c.opts)})
	if err != nil {
		t.Fatalf("declare NATS layout on the cluster: %v", err)
	}
	return b
}

// waitReady waits until JetStream answers on the cluster.
func (c *Cluster) waitReady() {
	c.t.Helper()
	nc, err := nats.Connect(c.URL())
	if err != nil {
		c.t.Fatalf("connect to NATS cluster: %v", err)
	}
	defer nc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := nc.RequestWithContext(ctx, "$JS.API.INFO", nil)
		cancel()
		if err == nil && c.metaLeader() {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("NATS cluster has no JetStream meta leader after 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) metaLeader() bool {
	for _, ns := range c.Servers {
		if ns != nil && ns.JetStreamIsLeader() {
			return true
		}
	}
	return false
}

// freePorts returns n ports free on loopback now.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}
