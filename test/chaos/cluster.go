package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// cluster is a NATS cluster of servers in this process, on loopback, each with its data in
// its own directory, so that one can be stopped and started again on its data as a lost node
// that comes back. The Dray services are separate processes that reach it with --nats-url.
type cluster struct {
	opts    []*server.Options
	servers []*server.Server // nil while stopped
}

// startCluster starts n servers that form one JetStream cluster, and waits for its meta leader.
func startCluster(dir string, n int) (*cluster, error) {
	c := &cluster{servers: make([]*server.Server, n)}
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	var routes []*url.URL
	for i := range n {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", ports[n+i])})
	}
	for i := range n {
		c.opts = append(c.opts, &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: ports[i],
			JetStream: true, StoreDir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			Cluster: server.ClusterOpts{Name: "dray-chaos", Host: "127.0.0.1", Port: ports[n+i]},
			Routes:  routes, NoSigs: true, NoLog: true,
		})
	}
	for i := range n {
		if err := c.start(i); err != nil {
			c.stopAll()
			return nil, err
		}
	}
	if err := c.waitReady(30 * time.Second); err != nil {
		c.stopAll()
		return nil, err
	}
	return c, nil
}

// url lists every server's client URL, comma-separated, as --nats-url takes them.
func (c *cluster) url() string {
	var urls []string
	for _, o := range c.opts {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(urls, ",")
}

// start starts server i (again) on its data directory and ports.
func (c *cluster) start(i int) error {
	o := *c.opts[i]
	ns, err := server.NewServer(&o)
	if err != nil {
		return fmt.Errorf("configure NATS server %s: %w", o.ServerName, err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return fmt.Errorf("NATS server %s did not start within 30s", o.ServerName)
	}
	c.servers[i] = ns
	return nil
}

// stop shuts server i down; its data stays for start.
func (c *cluster) stop(i int) {
	if ns := c.servers[i]; ns != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		c.servers[i] = nil
	}
}

func (c *cluster) stopAll() {
	for i := range c.servers {
		c.stop(i)
	}
}

// busiest returns the running server that leads most streams (buckets included).
func (c *cluster) busiest() int {
	led := make([]int, len(c.servers))
	for _, stream := range c.streams() {
		for i, ns := range c.servers {
			if ns != nil && ns.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
				led[i]++
			}
		}
	}
	busiest := -1
	for i, n := range led {
		if c.servers[i] != nil && (busiest < 0 || n > led[busiest]) {
			busiest = i
		}
	}
	return busiest
}

// streams names the account's streams; none when JetStream does not answer.
func (c *cluster) streams() []string {
	nc, err := nats.Connect(c.url())
	if err != nil {
		return nil
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var names []string
	l := js.StreamNames(ctx)
	for n := range l.Name() {
		names = append(names, n)
	}
	return names
}

// waitReady waits until JetStream answers and the cluster has a meta leader.
func (c *cluster) waitReady(within time.Duration) error {
	nc, err := nats.Connect(c.url())
	if err != nil {
		return fmt.Errorf("connect to NATS cluster: %w", err)
	}
	defer nc.Close()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := nc.RequestWithContext(ctx, "$JS.API.INFO", nil)
		cancel()
		if err == nil && c.metaLeader() {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Join(fmt.Errorf("NATS cluster has no JetStream meta leader after %s", within), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *cluster) metaLeader() bool {
	for _, ns := range c.servers {
		if ns != nil && ns.JetStreamIsLeader() {
			return true
		}
	}
	return false
}

// freePorts returns n ports free on loopback now.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
