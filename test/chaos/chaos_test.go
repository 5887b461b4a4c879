package main

import (
	"log/slog"
	"os"
	"testing"
	"time"
)

// TestChaosShort is the short configuration of the kill -9 harness (make chaos runs the long
// one): a few promotions over three Stages while dray up is killed twice.
func TestChaosShort(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("DRAY_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	f, err := Run(t.Context(), Config{Promotions: 12, Stages: 3, Kills: 2, Seed: time.Now().UnixNano(), Log: log})
	if f != nil {
		t.Log(f)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !f.OK() {
		t.Errorf("chaos run lost, doubled or refused work:\n%s", f)
	}
}
