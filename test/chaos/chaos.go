// Command chaos is Dray's kill -9 harness. It builds the dray CLI, serves a Git repository on
// loopback, runs `dray up` on a data directory, and promotes Freight through a pipeline of
// several Stages that all push to one branch, while it kills `dray up` with SIGKILL at random
// moments and starts it again on the same data directory. Then it checks what an operator
// would: every promote request ended Succeeded (none lost), each Promotion pushed exactly one
// commit (no double push), none is left unfinished (none stuck), and every API request the
// gateway answered was answered 2xx. A request that found the gateway down (the process was
// just killed) is sent again with the same idempotency key, as a client would. It prints the
// figures and exits non-zero when one is off.
//
//	go run ./test/chaos -promotions 200 -kills 20
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"
)

func main() {
	c := Config{}
	flag.IntVar(&c.Promotions, "promotions", 200, "promote requests in all")
	flag.IntVar(&c.Stages, "stages", 4, "Stages of the pipeline, all pushing to one branch")
	flag.IntVar(&c.Kills, "kills", 20, "SIGKILLs of dray up during the run")
	flag.Int64Var(&c.Seed, "seed", time.Now().UnixNano(), "seed of the random kill moments")
	flag.DurationVar(&c.Timeout, "timeout", 20*time.Minute, "the whole run ends by then")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	c.Log = log
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	f, err := Run(ctx, c)
	if f != nil {
		fmt.Println(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	if !f.OK() {
		os.Exit(1)
	}
}
