package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/gitserver"
)

const project = "chaos"

// Config is one chaos run.
type Config struct {
	// Mode is what runs Dray and what is killed: ModeAllInOne, ModeSplit or ModeCluster.
	Mode string
	// Promotions are promote requests in all, across Stages Stages; Kills are the disruptions
	// (a kill -9 of dray up or of a service, or a lost NATS node) during the run.
	Promotions, Stages, Kills int
	Seed                      int64
	Timeout                   time.Duration
	Log                       *slog.Logger
	// LogLevel is the services' log level. Default warn.
	LogLevel string
	// ServiceLog receives the services' output; nil discards it.
	ServiceLog *os.File
}

// Figures are what a run counted.
type Figures struct {
	Mode        string
	Promotions  int            // promote requests
	Kills       int            // disruptions
	Killed      map[string]int // disruptions by what was killed
	Exits       int            // processes that ended by themselves and were started again
	Succeeded   int            // Promotions that ended Succeeded
	Lost        int            // promote requests whose Promotion ended otherwise, or never existed
	DoublePush  int            // Promotions whose commit is in the repository more than once
	Missing     int            // Succeeded Promotions whose commit is not in the repository
	Stuck       int            // Promotions not finished when the run ended
	APIErrors   int            // API requests answered with a non-2xx status
	Unreachable int            // API requests that found the gateway down, and were sent again
	Elapsed     time.Duration  // from the first promote request to the last Promotion's end
}

// OK reports whether nothing was lost, doubled, stuck or refused.
func (f *Figures) OK() bool {
	return f.Succeeded == f.Promotions && f.Lost == 0 && f.DoublePush == 0 && f.Missing == 0 && f.Stuck == 0 && f.APIErrors == 0
}

func (f *Figures) String() string {
	what := map[string]string{ModeAllInOne: "kill -9 of dray up", ModeSplit: "kill -9 of a service", ModeCluster: "NATS node lost and back"}[f.Mode]
	var killed []string
	for _, k := range slices.Sorted(maps.Keys(f.Killed)) {
		killed = append(killed, fmt.Sprintf("%s %d", k, f.Killed[k]))
	}
	return fmt.Sprintf("chaos %s: %d promotions, %d × %s (%s), %s\n"+
		"  succeeded %d, lost %d, double pushes %d, commits missing %d, stuck %d\n"+
		"  API errors %d (requests retried while the gateway was down: %d); processes that ended by themselves: %d",
		f.Mode, f.Promotions, f.Kills, what, strings.Join(killed, ", "), f.Elapsed.Round(time.Second),
		f.Succeeded, f.Lost, f.DoublePush, f.Missing, f.Stuck, f.APIErrors, f.Unreachable, f.Exits)
}

// Run runs the harness in c.Mode: Git server, Dray, pipeline, promotions with kills, checks.
func Run(ctx context.Context, c Config) (*Figures, error) {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "dray-chaos-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	if c.LogLevel == "" {
		c.LogLevel = "warn"
	}
	if c.Mode == "" {
		c.Mode = ModeAllInOne
	}
	bin := filepath.Join(dir, "bin")
	build := exec.CommandContext(ctx, "go", append([]string{"build", "-o", bin + "/"}, binaries(c.Mode)...)...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build %v: %w", binaries(c.Mode), err)
	}
	git, gitURL, err := serveGit(ctx, filepath.Join(dir, "git"))
	if err != nil {
		return nil, err
	}
	stages := make([]string, c.Stages)
	files := map[string]string{}
	for i := range stages {
		stages[i] = fmt.Sprintf("stage-%d", i)
		files["env/"+stages[i]+"/values.yaml"] = "image:\n  repository: ghcr.io/example/app\n  tag: none\n"
	}
	if err := git.Init("config", files); err != nil {
		return nil, err
	}
	if err := git.Init("source", map[string]string{"README.md": "watched, never changed\n"}); err != nil {
		return nil, err
	}

	sys, err := newSystem(c.Mode, bin, dir, c)
	if err != nil {
		return nil, err
	}
	if err := sys.start(ctx); err != nil {
		sys.stop()
		return nil, err
	}
	defer sys.stop()
	tok, err := sys.token(ctx)
	if err != nil {
		return nil, err
	}
	api := &apiClient{c: client.New(sys.url(), client.WithToken(tok)), log: c.Log}

	if err := api.apply(ctx, resources(gitURL, stages)); err != nil {
		return nil, err
	}
	freight := make([]string, c.Promotions)
	var docs []json.RawMessage
	for i := range freight {
		freight[i] = tag(i)
		docs = append(docs, mustJSON(freightOf(tag(i))))
	}
	if err := api.apply(ctx, docs); err != nil {
		return nil, err
	}
	names, err := api.freightNames(ctx)
	if err != nil {
		return nil, err
	}

	f := &Figures{Mode: c.Mode, Promotions: c.Promotions, Killed: map[string]int{}}
	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(c.Seed), 1))
	// The promotions go in Kills+1 batches; while each batch but the last is in flight,
	// something is killed at a random moment and started again.
	promotions := make([]string, c.Promotions)
	batches := c.Kills + 1
	for b := range batches {
		var wg sync.WaitGroup
		for i := b * c.Promotions / batches; i < (b+1)*c.Promotions/batches; i++ {
			wg.Go(func() {
				at := time.Now().UTC()
				cmd := &v1.PromoteCommand{Project: project, Stage: stages[i%len(stages)], Freight: names[tag(i)],
					ID: fmt.Sprintf("chaos-%d-%d", c.Seed, i), RequestedAt: &at}
				resp, err := api.promote(ctx, cmd)
				if err != nil {
					c.Log.Error("promote", "i", i, "err", err)
					return
				}
				promotions[i] = resp.Promotion
				api.wait(ctx, resp.Promotion)
			})
		}
		if b < c.Kills {
			sleep(ctx, time.Duration(rng.IntN(2500))*time.Millisecond)
			what, err := sys.disrupt(ctx, rng)
			f.Kills++
			f.Killed[what]++
			c.Log.Info("killed and started again", "what", what, "kill", f.Kills)
			if err != nil {
				wg.Wait()
				return f, err
			}
		}
		wg.Wait()
	}
	f.Elapsed = time.Since(start)

	// Every Promotion once more, after the last restart.
	fctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for i, name := range promotions {
		if name == "" {
			f.Lost++
			continue
		}
		p := api.wait(fctx, name)
		switch {
		case p == nil || !p.Status.Finished():
			f.Stuck++
			c.Log.Error("promotion did not finish", "promotion", name)
		case p.Status.Phase == v1.PhaseSucceeded:
			f.Succeeded++
		default:
			f.Lost++
			c.Log.Error("promotion did not succeed", "i", i, "promotion", name, "phase", p.Status.Phase, "message", p.Status.Message)
		}
	}
	counts, err := commitsByTag(filepath.Join(dir, "git", "config.git"))
	if err != nil {
		return f, err
	}
	for i := range c.Promotions {
		switch n := counts[tag(i)]; {
		case n > 1:
			f.DoublePush++
		case n == 0 && promotions[i] != "":
			f.Missing++
		}
	}
	f.APIErrors, f.Unreachable = int(api.errors.Load()), int(api.unreachable.Load())
	f.Exits = sys.exits()
	return f, nil
}

// tag is the image tag of Freight i; each appears in exactly one commit message.
func tag(i int) string { return fmt.Sprintf("t%05d", i) }

// apiClient counts answers: a non-2xx answer is a client-visible error; a request that found
// the gateway down is sent again.
type apiClient struct {
	c                   *client.Client
	log                 *slog.Logger
	errors, unreachable atomic.Int64
}

// call runs do until the gateway answers; it returns the answer's error.
func (a *apiClient) call(ctx context.Context, do func(ctx context.Context) error) error {
	for {
		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := do(rctx)
		cancel()
		var apiErr *client.APIError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &apiErr):
			if apiErr.Status != http.StatusNotFound {
				a.errors.Add(1)
				a.log.Error("API error", "status", apiErr.Status, "err", err)
			}
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		}
		a.unreachable.Add(1) // killed mid-request, or not up yet
		a.log.Debug("request found no gateway; sending it again", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (a *apiClient) apply(ctx context.Context, docs []json.RawMessage) error {
	return a.call(ctx, func(ctx context.Context) error { _, err := a.c.Apply(ctx, docs); return err })
}

func (a *apiClient) promote(ctx context.Context, cmd *v1.PromoteCommand) (*v1.PromoteResponse, error) {
	var resp *v1.PromoteResponse
	err := a.call(ctx, func(ctx context.Context) (err error) { resp, err = a.c.Promote(ctx, cmd); return err })
	return resp, err
}

func (a *apiClient) freightNames(ctx context.Context) (map[string]string, error) {
	var fs []v1.Freight
	err := a.call(ctx, func(ctx context.Context) (err error) { fs, err = a.c.Freight(ctx, project); return err })
	names := map[string]string{}
	for _, f := range fs {
		if len(f.Images) == 1 {
			names[f.Images[0].Tag] = f.Metadata.Name
		}
	}
	return names, err
}

// wait polls a Promotion until it finishes or ctx ends, and returns what it read last.
func (a *apiClient) wait(ctx context.Context, name string) *v1.Promotion {
	var last *v1.Promotion
	for {
		var p *v1.Promotion
		err := a.call(ctx, func(ctx context.Context) (err error) { p, err = a.c.Promotion(ctx, project, name); return err })
		var apiErr *client.APIError
		switch {
		case err == nil:
			last = p
			if p.Status.Finished() {
				return p
			}
		case last != nil && errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound:
			// Seen before and gone now: deleted (e.g. trimmed by retention), never to finish.
			a.log.Error("promotion disappeared before it finished", "promotion", name, "phase", last.Status.Phase)
			return last
		}
		select {
		case <-ctx.Done():
			return last
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func serveGit(ctx context.Context, root string) (*gitserver.Server, string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, "", err
	}
	git, err := gitserver.New(root)
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: git}
	go func() { _ = srv.Serve(ln) }()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	return git, "http://" + ln.Addr().String(), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// commitsByTag counts, per Freight tag, the commits of main whose message names it.
func commitsByTag(gitDir string) (map[string]int, error) {
	out, err := exec.Command("git", "--git-dir", gitDir, "log", "--format=%B%x00", "main").Output()
	if err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	counts := map[string]int{}
	for msg := range strings.SplitSeq(string(out), "\x00") {
		seen := map[string]bool{}
		for w := range strings.FieldsFuncSeq(msg, func(r rune) bool { return !(r >= '0' && r <= '9' || r == 't') }) {
			if len(w) == 6 && w[0] == 't' && !seen[w] {
				seen[w] = true
				counts[w]++
			}
		}
	}
	return counts, nil
}
