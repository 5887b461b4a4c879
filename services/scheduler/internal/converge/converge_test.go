package converge

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestPendingCoalesces: origins added twice before a take are taken once; a take empties.
func TestPendingCoalesces(t *testing.T) {
	p := &pendingOrigins{wake: make(chan struct{}, 1)}
	a, b := v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "a"}, v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "b"}
	p.add("demo", []v1.FreightOrigin{a, b})
	p.add("demo", []v1.FreightOrigin{a})
	p.add("other", nil)
	got := p.take()
	slices.SortFunc(got["demo"], func(x, y v1.FreightOrigin) int { return strings.Compare(x.Name, y.Name) })
	if len(got) != 1 || !slices.Equal(got["demo"], []v1.FreightOrigin{a, b}) {
		t.Errorf("take() = %v, want demo's a and b once each", got)
	}
	if again := p.take(); len(again) != 0 {
		t.Errorf("take() after a take = %v, want nothing", again)
	}
}

// TestWatchEvaluatesApplied: applying a Stage evaluates the origins it requests; applying a
// ProjectConfig evaluates the origins of every Stage of its project.
func TestWatchEvaluatesApplied(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	b := bustest.Start(t).Connect(t)
	type call struct {
		project string
		origin  v1.FreightOrigin
	}
	calls := make(chan call, 16)
	wait, err := Watch(ctx, b, slog.New(slog.DiscardHandler), func(_ context.Context, project string, o v1.FreightOrigin) error {
		calls <- call{project, o}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); wait() }()
	put := func(key string, v any) {
		t.Helper()
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Resources.Put(ctx, key, data); err != nil {
			t.Fatal(err)
		}
	}
	app := v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "app"}
	put(bus.ResourceKey("demo", v1.KindStage, "dev"), v1.Stage{Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"},
		Spec: v1.StageSpec{RequestedFreight: []v1.FreightRequest{{Origin: app}}}})
	if c := <-calls; c != (call{"demo", app}) {
		t.Errorf("after a Stage was applied: evaluated %+v, want demo's %+v", c, app)
	}
	put(bus.ResourceKey("demo", v1.KindProjectConfig, "demo"), v1.ProjectConfig{Metadata: v1.ObjectMeta{Name: "demo", Namespace: "demo"}})
	if c := <-calls; c != (call{"demo", app}) {
		t.Errorf("after a ProjectConfig was applied: evaluated %+v, want demo's %+v", c, app)
	}
}
