// Command bench is Dray's load driver. In one run, on one embedded NATS server and one local
// Git server, it measures:
//
//   - the raw JetStream round trip: publish a job to a work-queue stream, a worker consumes it
//     and publishes a reply to another stream, the requester consumes the reply;
//   - the per-step overhead of Dray's message path: promotions of steps that do nothing, run
//     through the scheduler, an executor and the state service;
//   - the four-step promotion (git-clone, yaml-update, git-commit, git-push) through the full
//     service path, and the same four steps as a plain git command-line script, run in turn
//     (one promotion, one script run) so that both meet the machine in the same state:
//     latency p50/p99, where the promotion's time goes (each step's run time and the message
//     path's gap before it, from the recorded Promotions) and the git server's time per
//     request for each;
//   - promotions per second with several Stages at once;
//   - several Stages promoting into one branch of one repository at once, each editing its own
//     file, against as many git command-line scripts that race and retry with
//     `git pull --rebase`;
//   - discovery (discovery.go);
//   - memory at rest and after a thousand promotions across 200 Stages, and the latency and
//     size of a list of 10,000 Promotions, one page and whole (memory.go).
//
// It prints the figures and the target ratios, and writes them as JSON to $BENCH_OUT if set.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"
)

// Figures are what one run measured.
type Figures struct {
	Promotions          int     `json:"promotions"`
	Concurrency         int     `json:"concurrency"`
	PromotionsPerSecond float64 `json:"promotionsPerSecond"`
	PromotionP50Ms      float64 `json:"promotionP50Ms"`
	PromotionP99Ms      float64 `json:"promotionP99Ms"`
	// Steps is where the four-step promotion's time goes, step by step; StartGapMs is the
	// time from the promote command to the Promotion's start, EndGapMs from the last step's
	// end to the Promotion's.
	Steps      []StepTimes `json:"steps"`
	StartGapMs float64     `json:"startGapP50Ms"`
	EndGapMs   float64     `json:"endGapP50Ms"`
	// PromotionGitRequests and ScriptGitRequests say which requests the Git server answered
	// per four-step promotion and per script run, and how long it took over them.
	PromotionGitRequests string  `json:"promotionGitRequests"`
	ScriptGitRequests    string  `json:"scriptGitRequests"`
	ScriptP50Ms          float64 `json:"scriptP50Ms"`
	StepOverheadP50Ms    float64 `json:"stepOverheadP50Ms"`
	// OneStepPromotionP50Ms is a promotion of one do-nothing step: what every promotion costs
	// once, plus one step.
	OneStepPromotionP50Ms float64 `json:"oneStepPromotionP50Ms"`
	JetStreamRTTP50Ms     float64 `json:"jetStreamRoundTripP50Ms"`
	// OverheadRatio is the per-step overhead over the raw round trip; target ≤ 3.
	OverheadRatio float64 `json:"overheadRatio"`
	// PromotionRatio is the four-step promotion p50 over the script p50; target ≤ 0.4.
	PromotionRatio float64 `json:"promotionRatio"`
	// OneBranchStages Stages promote into one branch, OneBranchPromotions promotions in all.
	OneBranchStages     int `json:"oneBranchStages"`
	OneBranchPromotions int `json:"oneBranchPromotions"`
	// OneBranchPerSecond is Dray's promotions per second into one branch.
	OneBranchPerSecond float64 `json:"oneBranchPromotionsPerSecond"`
	// OneBranchScriptPerSecond is the git command-line scripts' promotions per second into
	// one branch.
	OneBranchScriptPerSecond float64 `json:"oneBranchScriptPromotionsPerSecond"`
	// OneBranchRatio is OneBranchPerSecond over OneBranchScriptPerSecond; target ≥ 4.
	OneBranchRatio float64 `json:"oneBranchRatio"`
	// DiscoveryFigures are the discovery benchmark's (discovery.go).
	DiscoveryFigures
	// MemoryFigures are the memory and list benchmark's (memory.go).
	MemoryFigures
}

func main() {
	var (
		n        = flag.Int("n", 40, "four-step promotions in the throughput run")
		conc     = flag.Int("c", 4, "Stages promoted at once in the throughput run")
		latency  = flag.Int("latency", 20, "sequential four-step promotions and script runs for latency")
		noop     = flag.Int("noop-steps", 20, "steps of the do-nothing promotion")
		noopRuns = flag.Int("noop-runs", 10, "do-nothing promotions")
		rtts     = flag.Int("rtt", 500, "raw JetStream round trips")
		verbose  = flag.Bool("v", false, "log the services")
		cpuProf  = flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
		brStages = flag.Int("branch-stages", 8, "Stages promoting into one branch at once")
		brN      = flag.Int("branch-n", 48, "promotions into one branch, for Dray and for the scripts each")
		only     = flag.String("only", "", "run only this part: promotions, discovery or memory (default: all)")
	)
	flag.Parse()
	if *cpuProf != "" {
		out, err := os.Create(*cpuProf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	f := &Figures{}
	var err error
	if *only == "" || *only == "promotions" {
		f, err = run(ctx, log, config{n: *n, conc: *conc, latency: *latency, noopSteps: *noop, noopRuns: *noopRuns, rtts: *rtts, branchStages: *brStages, branchN: *brN})
	}
	if err == nil && (*only == "" || *only == "discovery") {
		err = discovery(ctx, log, discoveryFlags.config(), &f.DiscoveryFigures)
	}
	if err == nil && (*only == "" || *only == "memory") {
		err = memory(ctx, log, &f.MemoryFigures)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if *only == "" || *only == "promotions" {
		report(f)
	}
	if *only == "" || *only == "discovery" {
		reportDiscovery(&f.DiscoveryFigures)
	}
	if *only == "" || *only == "memory" {
		reportMemory(&f.MemoryFigures)
	}
	if out := os.Getenv("BENCH_OUT"); out != "" {
		b, _ := json.MarshalIndent(f, "", "  ")
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

func report(f *Figures) {
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	fmt.Printf("raw JetStream round trip         p50 %8.3f ms\n", f.JetStreamRTTP50Ms)
	fmt.Printf("per-step overhead (do-nothing)   p50 %8.3f ms   %.2fx the round trip (target <= 3x: %s)\n",
		f.StepOverheadP50Ms, f.OverheadRatio, mark(f.OverheadRatio <= 3))
	fmt.Printf("one-step promotion (do-nothing)  p50 %8.3f ms   (create, queue, one step, finish)\n", f.OneStepPromotionP50Ms)
	fmt.Printf("four-step promotion              p50 %8.3f ms   p99 %8.3f ms\n", f.PromotionP50Ms, f.PromotionP99Ms)
	reportBreakdown(f)
	fmt.Printf("  git server: %s\n", f.PromotionGitRequests)
	fmt.Printf("git command-line script          p50 %8.3f ms   promotion/script %.2fx (target <= 0.4x: %s)\n",
		f.ScriptP50Ms, f.PromotionRatio, mark(f.PromotionRatio <= 0.4))
	fmt.Printf("  git server: %s\n", f.ScriptGitRequests)
	fmt.Printf("throughput                       %8.1f promotions/s (%d promotions, %d Stages at once)\n",
		f.PromotionsPerSecond, f.Promotions, f.Concurrency)
	if f.OneBranchStages > 0 {
		fmt.Printf("one branch, %d Stages at once     %8.1f promotions/s   git scripts %.1f/s: %.2fx (target >= 4x: %s)\n",
			f.OneBranchStages, f.OneBranchPerSecond, f.OneBranchScriptPerSecond, f.OneBranchRatio, mark(f.OneBranchRatio >= 4))
	}
}
