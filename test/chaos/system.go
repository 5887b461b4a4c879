package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/token"
)

// The modes of a run: what runs Dray, and what is killed.
const (
	// ModeAllInOne runs `dray up`, killed with SIGKILL.
	ModeAllInOne = "all-in-one"
	// ModeSplit runs each service in its own process on one NATS server; a random service is
	// killed with SIGKILL.
	ModeSplit = "split"
	// ModeCluster runs each service in its own process on a 3-node NATS cluster with 3
	// replicas; the node that leads most streams is lost and comes back.
	ModeCluster = "cluster"
)

// Modes are every mode, in the order -mode all runs them.
var Modes = []string{ModeAllInOne, ModeSplit, ModeCluster}

// system is Dray under test: started, disrupted at random moments, stopped.
type system interface {
	// start starts everything; the API is at url() once it answers.
	start(ctx context.Context) error
	url() string
	// token is a system-admin API token of the gateway, once start has returned.
	token(ctx context.Context) (string, error)
	// disrupt kills one part and starts it again; it returns what it killed.
	disrupt(ctx context.Context, rng *rand.Rand) (string, error)
	// exits counts the processes that ended without being killed (and were started again, as
	// a supervisor would).
	exits() int
	stop()
}

// binaries are what a mode runs, by package.
func binaries(mode string) []string {
	if mode == ModeAllInOne {
		return []string{"github.com/drayhq/dray/cmd/dray"}
	}
	var pkgs []string
	for _, s := range []string{"state", "scheduler", "gateway", "executor-git", "executor-config"} {
		pkgs = append(pkgs, "github.com/drayhq/dray/services/"+s+"/cmd/dray-"+s)
	}
	return pkgs
}

// newSystem makes the system of mode, its binaries in bin and its data under dir.
func newSystem(mode, bin, dir string, c Config) (system, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	switch mode {
	case ModeAllInOne:
		data := filepath.Join(dir, "data")
		up := &process{name: "dray up", log: c.Log, out: c.ServiceLog, bin: filepath.Join(bin, "dray"),
			// Every Promotion is read at the end: none may be trimmed as finished before.
			args: []string{"up", "--data-dir", data, "--addr", addr, "--nats-port", "-1", "--log-level", c.LogLevel, "--keep-promotions", "-1"},
			// dray up records its admin context in the Dray config: keep it beside the data,
			// not in the user's own config.
			env: []string{"DRAY_CONFIG=" + filepath.Join(data, "config.yaml")}}
		return &allInOne{up: up, addr: addr, dataDir: data}, nil
	case ModeSplit, ModeCluster:
		return &split{mode: mode, bin: bin, dir: dir, addr: addr, c: c}, nil
	}
	return nil, fmt.Errorf("mode %q is not one of %v", mode, Modes)
}

// allInOne is `dray up` on one data directory.
type allInOne struct {
	up            *process
	addr, dataDir string
}

func (a *allInOne) start(context.Context) error { return a.up.start() }
func (a *allInOne) url() string                 { return "http://" + a.addr }
func (a *allInOne) exits() int                  { return int(a.up.exits.Load()) }
func (a *allInOne) stop()                       { a.up.kill() }

// token waits for the system-admin token dray up writes into its data dir on first start.
func (a *allInOne) token(ctx context.Context) (string, error) {
	file := filepath.Join(a.dataDir, "admin.token")
	for {
		if data, err := os.ReadFile(file); err == nil && len(bytes.TrimSpace(data)) > 0 {
			return string(bytes.TrimSpace(data)), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("dray up wrote no admin token to %s: %w", file, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (a *allInOne) disrupt(ctx context.Context, _ *rand.Rand) (string, error) {
	a.up.kill()
	return "dray up", a.up.start()
}

// split runs every service a promotion of the pipeline needs in its own process, two of
// executor-git, on one embedded NATS server (ModeSplit) or on a cluster of three
// (ModeCluster).
type split struct {
	mode, bin, dir, addr string
	c                    Config

	single  *server.Server // ModeSplit
	cluster *cluster       // ModeCluster
	procs   []*process
	natsURL string
	admin   string // a system-admin API token, made on the bus before the gateway starts
}

func (s *split) token(context.Context) (string, error) { return s.admin, nil }

// makeToken declares the layout on the bus and stores a system-admin API token, as an
// operator would with credentials of the bus.
func (s *split) makeToken(ctx context.Context, replicas int) error {
	o := bus.Options{URL: s.natsURL, Replicas: replicas}
	nc, err := o.Connect("chaos")
	if err != nil {
		return err
	}
	defer nc.Close()
	b, err := bus.New(ctx, nc, o)
	if err != nil {
		return err
	}
	s.admin, _, err = token.NewStore(b.Tokens).Create(ctx, v1.APIToken{Name: "chaos", SystemAdmin: true})
	return err
}

func (s *split) url() string { return "http://" + s.addr }

func (s *split) start(ctx context.Context) error {
	natsURL, replicas := "", 1
	if s.mode == ModeCluster {
		c, err := startCluster(filepath.Join(s.dir, "nats"), 3)
		if err != nil {
			return err
		}
		s.cluster, natsURL, replicas = c, c.url(), 3
	} else {
		ns, err := bus.StartEmbedded(bus.EmbeddedOptions{Dir: filepath.Join(s.dir, "nats"), Port: -1})
		if err != nil {
			return err
		}
		s.single, natsURL = ns, ns.ClientURL()
	}
	s.natsURL = natsURL
	if err := s.makeToken(ctx, replicas); err != nil {
		return fmt.Errorf("make an API token: %w", err)
	}
	keyFile := filepath.Join(s.dir, "secrets.key")
	if _, err := secret.EnsureKey(keyFile); err != nil {
		return err
	}
	common := []string{"--nats-url", natsURL, "--nats-replicas", strconv.Itoa(replicas),
		"--http-addr=", "--secrets-key-file", keyFile, "--log-level", s.c.LogLevel}
	add := func(name, svc string, args ...string) {
		s.procs = append(s.procs, &process{name: name, log: s.c.Log, out: s.c.ServiceLog,
			bin: filepath.Join(s.bin, "dray-"+svc), args: append(append([]string{}, common...), args...)})
	}
	add("state", "state", "--keep-promotions", "-1") // every Promotion is read at the end
	add("scheduler", "scheduler")
	add("gateway", "gateway", "--addr", s.addr)
	add("executor-config", "executor-config", "--cache-dir", filepath.Join(s.dir, "cache", "config"))
	add("executor-git-1", "executor-git", "--cache-dir", filepath.Join(s.dir, "cache", "git-1"))
	add("executor-git-2", "executor-git", "--cache-dir", filepath.Join(s.dir, "cache", "git-2"))
	for _, p := range s.procs {
		if err := p.start(); err != nil {
			return err
		}
	}
	return nil
}

// disrupt kills a random service with SIGKILL and starts it again up to a second later
// (ModeSplit), or stops the NATS node that leads most streams and starts it again 1–3 s later
// (ModeCluster).
func (s *split) disrupt(ctx context.Context, rng *rand.Rand) (string, error) {
	if s.mode == ModeCluster {
		i := s.cluster.busiest()
		s.cluster.stop(i)
		sleep(ctx, time.Second+time.Duration(rng.IntN(2000))*time.Millisecond)
		return "node " + s.cluster.opts[i].ServerName, s.cluster.start(i)
	}
	p := s.procs[rng.IntN(len(s.procs))]
	p.kill()
	sleep(ctx, time.Duration(rng.IntN(1000))*time.Millisecond)
	return p.name, p.start()
}

func (s *split) exits() int {
	n := 0
	for _, p := range s.procs {
		n += int(p.exits.Load())
	}
	return n
}

func (s *split) stop() {
	var wg sync.WaitGroup
	for _, p := range s.procs {
		wg.Go(p.kill)
	}
	wg.Wait()
	if s.single != nil {
		s.single.Shutdown()
		s.single.WaitForShutdown()
	}
	if s.cluster != nil {
		for i := range s.cluster.servers {
			s.cluster.stop(i)
		}
	}
}

// process is one command, killed and started again by the harness; when it ends by itself
// (e.g. it could not reach NATS as it started) it is started again half a second later, as a
// supervisor would, and counted.
type process struct {
	name, bin string
	args      []string
	env       []string // added to the harness's environment
	out       *os.File // the process's stdout and stderr; nil discards them
	log       *slog.Logger
	exits     atomic.Int64

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has ended
	down bool          // killed by the harness, not to be restarted
}

func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
	return p.startLocked()
}

func (p *process) startLocked() error {
	cmd := exec.Command(p.bin, p.args...)
	if len(p.env) > 0 {
		cmd.Env = append(os.Environ(), p.env...)
	}
	if p.out != nil {
		cmd.Stdout, cmd.Stderr = p.out, p.out
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() {
		err := cmd.Wait()
		close(done)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.cmd != cmd {
			return // killed by the harness
		}
		p.cmd = nil
		p.exits.Add(1)
		p.log.Warn("process ended by itself; starting it again", "process", p.name, "err", err)
		time.AfterFunc(500*time.Millisecond, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.cmd == nil && !p.down {
				if err := p.startLocked(); err != nil {
					p.log.Error("restart", "process", p.name, "err", err)
				}
			}
		})
	}()
	return nil
}

// kill sends SIGKILL and waits for the process to end.
func (p *process) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd, p.down = nil, true
	p.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		<-done
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
