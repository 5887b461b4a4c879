package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/drayhq/dray/cmd/dray/allinone"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/freight"
	"github.com/drayhq/dray/pkg/gitserver"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
)

const project = "bench"

type config struct {
	n, conc, latency, noopSteps, noopRuns, rtts int
	branchStages, branchN                       int
}

// harness is one Dray, one Git server and a client connection.
type harness struct {
	in      *allinone.Instance
	bus     *bus.Bus
	gitURL  string
	gitRoot string
	git     *gitserver.Server
	// gitTimes times the Git server's requests.
	gitTimes requestTimes

	mu      sync.Mutex
	waiters map[string]chan string
}

func run(ctx context.Context, log *slog.Logger, c config) (*Figures, error) {
	dir, err := os.MkdirTemp("", "dray-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	h := &harness{waiters: map[string]chan string{}, gitRoot: filepath.Join(dir, "git")}
	if err := h.startGit(); err != nil {
		return nil, err
	}
	noop, err := steps.NewRegistry(noopStep{})
	if err != nil {
		return nil, err
	}
	h.in, err = allinone.Start(ctx, allinone.Options{
		DataDir: dir, Addr: "127.0.0.1:0", NATSPort: -1, Log: log,
		Executors: []allinone.Executor{{Name: "bench", Steps: noop}},
		Route: func(uses string) (string, bool) {
			if uses == "noop" {
				return "bench", true
			}
			return steps.ExecutorFor(uses)
		},
	})
	if err != nil {
		return nil, err
	}
	defer h.in.Stop()
	nc, err := h.in.Connect("test")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	if h.bus, err = bus.New(ctx, nc, bus.Options{}); err != nil {
		return nil, err
	}
	sub, err := nc.Subscribe(bus.EventSubject(project, "promotion.*"), h.onEvent)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()

	f := &Figures{Promotions: c.n, Concurrency: c.conc}
	rtt, err := jetStreamRoundTrip(ctx, h.in, c.rtts)
	if err != nil {
		return nil, fmt.Errorf("raw round trip: %w", err)
	}
	f.JetStreamRTTP50Ms = ms(percentile(rtt, 50))

	perStep, oneStep, err := h.noopOverhead(ctx, c.noopSteps, c.noopRuns)
	if err != nil {
		return nil, fmt.Errorf("do-nothing promotions: %w", err)
	}
	f.StepOverheadP50Ms, f.OneStepPromotionP50Ms = ms(perStep), ms(oneStep)

	h.gitTimes.start()
	lat, script, names, err := h.latency(ctx, c.latency)
	f.PromotionGitRequests = h.gitTimes.report("latency-0", c.latency+1)
	f.ScriptGitRequests = h.gitTimes.report("script", c.latency+1)
	h.gitTimes.stop()
	if err != nil {
		return nil, fmt.Errorf("four-step promotions against the git script: %w", err)
	}
	f.PromotionP50Ms, f.PromotionP99Ms = ms(percentile(lat, 50)), ms(percentile(lat, 99))
	f.ScriptP50Ms = ms(percentile(script, 50))
	if f.Steps, f.StartGapMs, f.EndGapMs, err = h.breakdown(ctx, names); err != nil {
		return nil, fmt.Errorf("four-step promotions: %w", err)
	}

	start := time.Now()
	if _, _, err := h.promotions(ctx, "load", c.conc, c.n); err != nil {
		return nil, fmt.Errorf("throughput run: %w", err)
	}
	f.PromotionsPerSecond = float64(c.n) / time.Since(start).Seconds()
	f.OverheadRatio = f.StepOverheadP50Ms / f.JetStreamRTTP50Ms
	f.PromotionRatio = f.PromotionP50Ms / f.ScriptP50Ms

	if c.branchStages > 0 && c.branchN > 0 {
		f.OneBranchStages, f.OneBranchPromotions = c.branchStages, c.branchN
		if f.OneBranchScriptPerSecond, err = h.scriptOneBranch(ctx, c.branchStages, c.branchN); err != nil {
			return nil, fmt.Errorf("git scripts into one branch: %w", err)
		}
		if f.OneBranchPerSecond, err = h.oneBranch(ctx, c.branchStages, c.branchN); err != nil {
			return nil, fmt.Errorf("promotions into one branch: %w", err)
		}
		f.OneBranchRatio = f.OneBranchPerSecond / f.OneBranchScriptPerSecond
	}
	return f, nil
}

func (h *harness) startGit() error {
	if err := os.MkdirAll(h.gitRoot, 0o755); err != nil {
		return err
	}
	var err error
	if h.git, err = gitserver.New(h.gitRoot); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = http.Serve(ln, h.gitTimes.wrap(h.git)) }()
	h.gitURL = "http://" + ln.Addr().String()
	return nil
}

func (h *harness) repo(name string) (string, error) {
	err := h.git.Init(name, map[string]string{
		"env/dev/values.yaml": "# dev values\nimage:\n  repository: ghcr.io/example/app\n  tag: v0.0.0 # first\nreplicas: 2\n",
	})
	return h.gitURL + "/" + name + ".git", err
}

// onEvent wakes whoever waits for the promotion an event ends.
func (h *harness) onEvent(msg *nats.Msg) {
	var e v1.Event
	var data v1.PromotionEvent
	if json.Unmarshal(msg.Data, &e) != nil || json.Unmarshal(e.Data, &data) != nil {
		return
	}
	switch e.Type {
	case v1.TypePromotionSucceeded, v1.TypePromotionFailed, v1.TypePromotionErrored, v1.TypePromotionAborted:
	default:
		return
	}
	h.mu.Lock()
	ch := h.waiters[data.Promotion]
	delete(h.waiters, data.Promotion)
	h.mu.Unlock()
	if ch != nil {
		ch <- data.Phase + " " + data.Message
	}
}

// promote publishes a promote command as any NATS client would and waits for the Promotion
// to end; it returns the time from publish to the final event.
func (h *harness) promote(ctx context.Context, stage, freightName, id string) (time.Duration, error) {
	d, _, err := h.promoteNamed(ctx, stage, freightName, id)
	return d, err
}

// promoteNamed is promote that also returns the Promotion's name.
func (h *harness) promoteNamed(ctx context.Context, stage, freightName, id string) (time.Duration, string, error) {
	at := time.Now().UTC()
	name := promotion.Name(stage, freightName, id, at)
	done := make(chan string, 1)
	h.mu.Lock()
	h.waiters[name] = done
	h.mu.Unlock()
	cmd := v1.PromoteCommand{Project: project, Stage: stage, Freight: freightName, ID: id, RequestedAt: &at}
	start := time.Now()
	if err := h.bus.Publish(ctx, bus.CommandSubject(project, "promote"), "promote/"+id, cmd); err != nil {
		return 0, name, err
	}
	select {
	case res := <-done:
		if !strings.HasPrefix(res, v1.PhaseSucceeded) {
			return 0, name, fmt.Errorf("promotion %s: %s", name, res)
		}
		return time.Since(start), name, nil
	case <-ctx.Done():
		return 0, name, fmt.Errorf("promotion %s did not finish: %w", name, ctx.Err())
	}
}

func (h *harness) put(ctx context.Context, kind, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = h.bus.Resources.Put(ctx, bus.ResourceKey(project, kind, name), data)
	return err
}

func (h *harness) freight(ctx context.Context, tag string) (string, error) {
	f := &v1.Freight{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindFreight},
		Origin:   v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images:   []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag, Digest: "sha256:" + strings.Repeat("0", 64)}},
	}
	f.Metadata.Name, f.Metadata.Namespace = freight.ID(f), project
	now := time.Now().UTC() // as store.CreateFreight sets them
	f.Metadata.CreationTimestamp, f.DiscoveredAt = &now, &now
	data, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	_, err = h.bus.Freight.Put(ctx, bus.Key(project, f.Metadata.Name), data)
	return f.Metadata.Name, err
}

func stage(name string, steps []v1.PromotionStep) v1.Stage {
	return v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: name, Namespace: project},
		Spec: v1.StageSpec{
			RequestedFreight: []v1.FreightRequest{{
				Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, Sources: v1.FreightSources{Direct: true},
			}},
			PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: steps}},
		},
	}
}

// fourSteps is the promotion template measured against the git script.
func fourSteps(repoURL string) []v1.PromotionStep {
	return []v1.PromotionStep{
		{Uses: "git-clone", As: "clone", Config: map[string]any{
			"repoURL": repoURL, "checkout": []any{map[string]any{"branch": "main", "path": "./src"}},
		}},
		{Uses: "yaml-update", As: "update", Config: map[string]any{
			"path":    "./src/env/dev/values.yaml",
			"updates": []any{map[string]any{"key": "image.tag", "value": "${{ imageFrom('ghcr.io/example/app', warehouse('app')).Tag }}"}},
		}},
		{Uses: "git-commit", As: "commit", Config: map[string]any{"path": "./src", "message": "${{ outputs.update.commitMessage }}"}},
		{Uses: "git-push", As: "push", Config: map[string]any{"path": "./src"}},
	}
}

// noopOverhead runs promotions of steps that do nothing, alternately of one step and of
// nSteps steps, and returns the per-step overhead, (p50 of nSteps − p50 of one) / (nSteps−1),
// which leaves out what every promotion costs once (creating it, queueing, recording where its
// Freight is), and the p50 of the one-step promotion, which is that fixed cost plus one step.
func (h *harness) noopOverhead(ctx context.Context, nSteps, runs int) (perStep, oneStep time.Duration, err error) {
	if nSteps < 2 {
		return 0, 0, fmt.Errorf("the do-nothing promotion needs at least 2 steps, not %d", nSteps)
	}
	f, err := h.freight(ctx, "noop")
	if err != nil {
		return 0, 0, err
	}
	var lat [2][]time.Duration
	for k, n := range []int{1, nSteps} {
		list := make([]v1.PromotionStep, n)
		for i := range list {
			list[i] = v1.PromotionStep{Uses: "noop"}
		}
		if err := h.put(ctx, v1.KindStage, fmt.Sprintf("noop-%d", k), stage(fmt.Sprintf("noop-%d", k), list)); err != nil {
			return 0, 0, err
		}
	}
	for i := range runs + 1 {
		for k := range 2 {
			d, err := h.promote(ctx, fmt.Sprintf("noop-%d", k), f, fmt.Sprintf("noop-%d-%d", k, i))
			if err != nil {
				return 0, 0, err
			}
			if i > 0 { // the first runs warm up consumers and caches
				lat[k] = append(lat[k], d)
			}
		}
	}
	one, many := percentile(lat[0], 50), percentile(lat[1], 50)
	return (many - one) / time.Duration(nSteps-1), one, nil
}

// promotions runs n four-step promotions spread over conc Stages, each with its own
// repository, and returns their latencies.
func (h *harness) promotions(ctx context.Context, prefix string, conc, n int) ([]time.Duration, []string, error) {
	type job struct{ stage, freight, id string }
	queues := make([][]job, conc)
	for s := range conc {
		name := fmt.Sprintf("%s-%d", prefix, s)
		url, err := h.repo(name)
		if err != nil {
			return nil, nil, err
		}
		if err := h.put(ctx, v1.KindStage, name, stage(name, fourSteps(url))); err != nil {
			return nil, nil, err
		}
	}
	for i := range n + conc { // one warm-up promotion per Stage
		f, err := h.freight(ctx, fmt.Sprintf("v1.%d.%d", i, time.Now().UnixNano()%1000))
		if err != nil {
			return nil, nil, err
		}
		s := i % conc
		queues[s] = append(queues[s], job{fmt.Sprintf("%s-%d", prefix, s), f, fmt.Sprintf("%s-%d", prefix, i)})
	}
	var (
		mu    sync.Mutex
		lat   []time.Duration
		names []string
		errs  = make(chan error, conc)
		wg    sync.WaitGroup
	)
	for _, q := range queues {
		wg.Go(func() {
			for i, j := range q {
				d, name, err := h.promoteNamed(ctx, j.stage, j.freight, j.id)
				if err != nil {
					errs <- err
					return
				}
				if i > 0 {
					mu.Lock()
					lat, names = append(lat, d), append(names, name)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, nil, err
	}
	return lat, names, nil
}

// latency runs four-step promotions of one Stage and the same four steps as a git
// command-line script, runs times each, one after the other in turn, so that both meet the
// machine in the same state. It returns their times and the Promotions' names. The first of
// each warms up and is not counted.
func (h *harness) latency(ctx context.Context, runs int) (promotions, scripts []time.Duration, names []string, err error) {
	const name = "latency-0"
	url, err := h.repo(name)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := h.put(ctx, v1.KindStage, name, stage(name, fourSteps(url))); err != nil {
		return nil, nil, nil, err
	}
	script, cleanup, err := h.script()
	if err != nil {
		return nil, nil, nil, err
	}
	defer cleanup()
	for i := range runs + 1 {
		f, err := h.freight(ctx, fmt.Sprintf("v1.%d.%d", i, time.Now().UnixNano()%1000))
		if err != nil {
			return nil, nil, nil, err
		}
		d, pname, err := h.promoteNamed(ctx, name, f, fmt.Sprintf("latency-%d", i))
		if err != nil {
			return nil, nil, nil, err
		}
		sd, err := script(ctx, i)
		if err != nil {
			return nil, nil, nil, err
		}
		if i > 0 {
			promotions, scripts, names = append(promotions, d), append(scripts, sd), append(names, pname)
		}
	}
	return promotions, scripts, names, nil
}

// script prepares the same four steps with the git command line, against repository
// "script", and returns a func that runs them once (run i sets tag v2.<i>) and returns the
// time it took, and a func that removes the script's working directory.
func (h *harness) script() (func(ctx context.Context, i int) (time.Duration, error), func(), error) {
	url, err := h.repo("script")
	if err != nil {
		return nil, nil, err
	}
	work, err := os.MkdirTemp("", "dray-bench-script-")
	if err != nil {
		return nil, nil, err
	}
	const sh = `set -e
rm -rf src
git clone -q --depth 1 --branch main "$URL" src
sed -i "s/^  tag: .*/  tag: $TAG/" src/env/dev/values.yaml
git -C src -c user.name=bench -c user.email=bench@example.com commit -q -am "Updated env/dev/values.yaml"
git -C src push -q origin HEAD:main
`
	run := func(ctx context.Context, i int) (time.Duration, error) {
		cmd := exec.CommandContext(ctx, "bash", "-c", sh)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "URL="+url, "TAG=v2."+strconv.Itoa(i), "GIT_TERMINAL_PROMPT=0")
		start := time.Now()
		if b, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("script run %d: %v: %s", i, err, b)
		}
		return time.Since(start), nil
	}
	return run, func() { _ = os.RemoveAll(work) }, nil
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// noopStep does nothing: it measures the message path alone.
type noopStep struct{}

func (noopStep) Info() steps.Info { return steps.Info{Name: "noop", Executor: "bench", ReadOnly: true} }

func (noopStep) Run(context.Context, *steps.Context) (steps.Result, error) {
	return steps.Result{}, nil
}
