// Command bench is Dray's load driver. In one run, on one embedded NATS server and one local
// Git server, it measures:
//
//   - the raw JetStream round trip: publish a job to a work-queue stream, a worker consumes it
//     and publishes a reply to another stream, the requester consumes the reply;
//   - the per-step overhead of Dray's message path: promotions of steps that do nothing, run
//     through the scheduler, an executor and the state service;
//   - the four-step promotion (git-clone, yaml-update, git-commit, git-push) through the full
//     service path: latency p50/p99 and promotions per second with several Stages at once;
//   - the same four steps as a plain git command-line script.
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
	"time"
)

// Figures are what one run measured.
type Figures struct {
	Promotions          int     `json:"promotions"`
	Concurrency         int     `json:"concurrency"`
	PromotionsPerSecond float64 `json:"promotionsPerSecond"`
	PromotionP50Ms      float64 `json:"promotionP50Ms"`
	PromotionP99Ms      float64 `json:"promotionP99Ms"`
	ScriptP50Ms         float64 `json:"scriptP50Ms"`
	StepOverheadP50Ms   float64 `json:"stepOverheadP50Ms"`
	JetStreamRTTP50Ms   float64 `json:"jetStreamRoundTripP50Ms"`
	// OverheadRatio is the per-step overhead over the raw round trip; target ≤ 3.
	OverheadRatio float64 `json:"overheadRatio"`
	// PromotionRatio is the four-step promotion p50 over the script p50; target ≤ 0.4.
	PromotionRatio float64 `json:"promotionRatio"`
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
	)
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	f, err := run(ctx, log, config{n: *n, conc: *conc, latency: *latency, noopSteps: *noop, noopRuns: *noopRuns, rtts: *rtts})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	report(f)
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
	fmt.Printf("four-step promotion              p50 %8.3f ms   p99 %8.3f ms\n", f.PromotionP50Ms, f.PromotionP99Ms)
	fmt.Printf("git command-line script          p50 %8.3f ms   promotion/script %.2fx (target <= 0.4x: %s)\n",
		f.ScriptP50Ms, f.PromotionRatio, mark(f.PromotionRatio <= 0.4))
	fmt.Printf("throughput                       %8.1f promotions/s (%d promotions, %d Stages at once)\n",
		f.PromotionsPerSecond, f.Promotions, f.Concurrency)
}
