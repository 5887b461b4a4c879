// Command chaos is Dray's kill -9 harness. It builds Dray, serves a Git repository on
// loopback, runs Dray, and promotes Freight through a pipeline of several Stages that all push
// to one branch, while it kills part of Dray at random moments and starts it again. It does so
// in three modes:
//
//   - all-in-one: `dray up` on a data directory, killed with SIGKILL;
//   - split: each service in its own process (state, scheduler, gateway, executor-config and
//     two executor-git replicas) on a NATS server in the harness; a random service is killed
//     with SIGKILL and started again;
//   - cluster: the same processes on a 3-node NATS cluster in the harness, with
//     --nats-replicas 3 and every node in --nats-url; the node that leads most streams is
//     lost and comes back.
//
// Then it checks what an operator would: every promote request ended Succeeded (none lost),
// each Promotion pushed exactly one commit (no double push), none is left unfinished (none
// stuck), and every API request the gateway answered was answered 2xx. A request that found
// the gateway down (its process was just killed) is sent again with the same idempotency key,
// as a client would. It prints the figures of each mode and exits non-zero when one is off.
//
//	go run ./test/chaos -promotions 200 -kills 20            # every mode
//	go run ./test/chaos -mode cluster -promotions 50 -kills 5
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"
)

func main() {
	c := Config{}
	mode := flag.String("mode", "all", "all, or one of "+fmt.Sprint(Modes))
	flag.IntVar(&c.Promotions, "promotions", 200, "promote requests in all, per mode")
	flag.IntVar(&c.Stages, "stages", 4, "Stages of the pipeline, all pushing to one branch")
	flag.IntVar(&c.Kills, "kills", 20, "kills (of dray up or a service) or lost NATS nodes during the run, per mode")
	flag.Int64Var(&c.Seed, "seed", time.Now().UnixNano(), "seed of the random kill moments and targets")
	flag.DurationVar(&c.Timeout, "timeout", 20*time.Minute, "each mode's run ends by then")
	flag.StringVar(&c.LogLevel, "log-level", "warn", "the services' log level (their output goes to stderr)")
	debug := flag.Bool("debug", false, "log every request the harness sends again")
	flag.Parse()
	modes := Modes
	if *mode != "all" {
		if !slices.Contains(Modes, *mode) {
			fmt.Fprintf(os.Stderr, "chaos: -mode %q is not all or one of %v\n", *mode, Modes)
			os.Exit(2)
		}
		modes = []string{*mode}
	}
	lvl := slog.LevelInfo
	if *debug {
		lvl = slog.LevelDebug
	}
	c.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	c.ServiceLog = os.Stderr
	failed := false
	var all []*Figures
	for _, m := range modes {
		c.Mode = m
		f, err := run(c)
		if f != nil {
			fmt.Println(f)
			all = append(all, f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "chaos %s: %v\n", m, err)
		}
		failed = failed || err != nil || !f.OK()
	}
	if len(all) > 1 {
		fmt.Println("\nsummary (seed", c.Seed, "):")
		for _, f := range all {
			fmt.Println(f)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func run(c Config) (*Figures, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	return Run(ctx, c)
}
