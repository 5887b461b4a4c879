package windowwatch_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/services/state/internal/windowwatch"
)

// TestWatch: each applied resource that declares or selects windows re-arms the Stages it
// concerns and no other: a Stage itself, a ProjectConfig's project, a Project's Stages, the
// ClusterConfig every Stage with a status.
func TestWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	b := bustest.Start(t).Connect(t)
	for _, k := range []string{bus.Key("shop", "dev"), bus.Key("shop", "prod"), bus.Key("other", "dev")} {
		if _, err := b.Stages.Put(ctx, k, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan string, 16)
	wait, err := windowwatch.Watch(ctx, b, slog.New(slog.DiscardHandler), func(_ context.Context, project, name string) error {
		got <- project + "/" + name
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); wait() })

	for _, c := range []struct {
		key  string
		want []string
	}{
		{bus.ResourceKey("other", v1.KindStage, "dev"), []string{"other/dev"}},
		{bus.ResourceKey("shop", v1.KindProjectConfig, "shop"), []string{"shop/dev", "shop/prod"}},
		{bus.ResourceKey("", v1.KindProject, "other"), []string{"other/dev"}},
		{bus.ResourceKey("", v1.KindClusterConfig, "cluster"), []string{"other/dev", "shop/dev", "shop/prod"}},
		{bus.ResourceKey("shop", v1.KindWarehouse, "app"), nil}, // declares no windows
	} {
		if _, err := b.Resources.Put(ctx, c.key, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		// A marker Stage applied after it: everything before it has been handled.
		if _, err := b.Resources.Put(ctx, bus.ResourceKey("zz", v1.KindStage, "marker"), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		var seen []string
		for done := false; !done; {
			select {
			case s := <-got:
				if s == "zz/marker" {
					done = true
				} else {
					seen = append(seen, s)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("applying %s: no re-arm after %v", c.key, seen)
			}
		}
		slices.Sort(seen)
		if !slices.Equal(seen, c.want) {
			t.Errorf("applying %s re-armed %v, want %v", c.key, seen, c.want)
		}
	}
}
