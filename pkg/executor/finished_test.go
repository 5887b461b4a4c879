package executor_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/workspace"
)

// TestForgetsEndedPromotions: once a Promotion ends, the executor removes its local workspace
// copy; the copies of running Promotions stay.
func TestForgetsEndedPromotions(t *testing.T) {
	dir := t.TempDir()
	var cache *workspace.Store
	e := start(t, func(b *bus.Bus, d *executor.Deps) {
		var err error
		if cache, err = workspace.New(b.Workspaces, dir); err != nil {
			t.Fatal(err)
		}
		d.Workspaces = cache
	})
	for _, p := range []string{"ends", "runs"} {
		e.promote(t, p, "write-file", v1.PhaseRunning, nil, map[string]any{"path": "f", "content": p})
		if r := e.result(t); r.Status != v1.StepSucceeded {
			t.Fatalf("step of %s = %s (%s), want succeeded", p, r.Status, r.Message)
		}
	}
	if got := cache.Cached(); got != 2 {
		t.Fatalf("Cached() = %d after two promotions' steps, want 2", got)
	}
	ev := v1.PromotionEvent{Project: project, Stage: "dev", Promotion: "ends", Phase: v1.PhaseSucceeded}
	if err := e.b.PublishEvent(t.Context(), project, v1.TypePromotionSucceeded, "ends/succeeded", "promotion/ends", ev); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for cache.Cached() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("Cached() = %d 10s after a promotion ended, want 1", cache.Cached())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Lstat(filepath.Join(dir, "ends")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat(ends) = %v, want the ended promotion's workspace gone", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "runs", "f")); err != nil || string(b) != "runs" {
		t.Errorf("running promotion's workspace: ReadFile(f) = %q, %v; want %q", b, err, "runs")
	}
}
