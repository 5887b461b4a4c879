package main

import (
	"log/slog"
	"os"
	"testing"
	"time"
)

// TestChaosShort is the short configuration of the kill -9 harness (make chaos runs the long
// one): a few promotions over a few Stages in each mode: while dray up is killed, while services
// running as separate processes are killed, and while a node of a 3-node NATS cluster is lost.
func TestChaosShort(t *testing.T) {
	for _, tc := range []Config{
		{Mode: ModeAllInOne, Promotions: 12, Stages: 3, Kills: 2},
		{Mode: ModeSplit, Promotions: 12, Stages: 3, Kills: 3},
		{Mode: ModeCluster, Promotions: 8, Stages: 2, Kills: 2},
	} {
		t.Run(tc.Mode, func(t *testing.T) {
			tc.Log, tc.Seed = slog.New(slog.DiscardHandler), time.Now().UnixNano()
			if os.Getenv("DRAY_TEST_LOG") != "" {
				tc.Log, tc.ServiceLog = slog.New(slog.NewTextHandler(os.Stderr, nil)), os.Stderr
			}
			f, err := Run(t.Context(), tc)
			if f != nil {
				t.Log(f)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !f.OK() {
				t.Errorf("chaos run lost, doubled or refused work (seed %d):\n%s", tc.Seed, f)
			}
		})
	}
}
