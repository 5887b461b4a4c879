package e2e_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// holdStep blocks until released; countStep counts its runs.
type holdStep struct {
	started, release chan struct{}
	cancelled        chan struct{}
}

func (h *holdStep) Info() steps.Info {
	return steps.Info{Name: "hold", Executor: "test", ReadOnly: true}
}
func (h *holdStep) Run(ctx context.Context, _ *steps.Context) (steps.Result, error) {
	close(h.started)
	select {
	case <-h.release:
	case <-ctx.Done():
		close(h.cancelled)
	}
	return steps.Result{}, nil
}

type countStep struct{ runs atomic.Int32 }

func (c *countStep) Info() steps.Info {
	return steps.Info{Name: "count", Executor: "test", ReadOnly: true}
}
func (c *countStep) Run(context.Context, *steps.Context) (steps.Result, error) {
	c.runs.Add(1)
	return steps.Result{}, nil
}

// TestAbortRunningPromotion: an abort command published on NATS while a step runs ends the
// Promotion Aborted; the executor cancels the running step, which is recorded Aborted (its
// late result is ignored), and later steps never run.
func TestAbortRunningPromotion(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	route := func(uses string) (string, bool) {
		if uses == "hold" || uses == "count" {
			return "test", true
		}
		return scheduler.Route(uses)
	}
	startService(t, ns, "state", func(ctx context.Context, d service.Deps) error { return state.Run(ctx, state.Options{}, d) })
	startService(t, ns, "scheduler", func(ctx context.Context, d service.Deps) error {
		return scheduler.Run(ctx, scheduler.Options{Route: route}, d)
	})
	hold := &holdStep{started: make(chan struct{}), release: make(chan struct{}), cancelled: make(chan struct{})}
	count := &countStep{}
	opts := executor.Options{CacheDir: t.TempDir()}
	startService(t, ns, "executor-test", func(ctx context.Context, d service.Deps) error {
		reg, err := steps.NewRegistry(hold, count)
		if err != nil {
			return err
		}
		return executor.Run(ctx, opts, executor.Deps{Name: "test", Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: reg})
	})

	putResource(t, b, project, v1.KindStage, "dev", v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: project},
		Spec: v1.StageSpec{RequestedFreight: direct, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
			{Uses: "count", As: "first"}, {Uses: "hold", As: "wait"}, {Uses: "count", As: "after"},
		}}}},
	})
	freightName := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v3"}},
	})
	publishPromote(t, ns, "dev", freightName)
	select {
	case <-hold.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the hold step never started")
	}
	ps := waitPromotions(t, b)
	abort := v1.AbortCommand{Promotion: ps[0].Metadata.Name, Actor: "email:ops@example.com"}
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "abort"), "abort-1", abort); err != nil {
		t.Fatal(err)
	}
	p := waitFinished(t, b, project, 30*time.Second)
	select {
	case <-hold.cancelled: // the executor stopped the running step
	case <-time.After(10 * time.Second):
		t.Error("the running step was not cancelled by the abort")
	}
	close(hold.release)
	if p.Status.Phase != v1.PhaseAborted || p.Status.Message != "Promotion terminated by email:ops@example.com" {
		t.Errorf("promotion %s %q, want Aborted by the actor", p.Status.Phase, p.Status.Message)
	}
	var got []string
	for _, m := range p.Status.StepExecutionMetadata {
		got = append(got, m.Alias+"="+m.Status)
	}
	if diff := cmp.Diff([]string{"first=Succeeded", "wait=Aborted"}, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	// Give a late result time to arrive, then check nothing moved.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) && count.runs.Load() < 2 {
		time.Sleep(20 * time.Millisecond)
	}
	if n := count.runs.Load(); n != 1 {
		t.Errorf("count ran %d times, want 1 (the step after the abort must not run)", n)
	}
	after := waitFinished(t, b, project, time.Second)
	if after.Status.StepExecutionMetadata[1].Status != v1.StepAborted {
		t.Errorf("the aborted step became %s after its late result", after.Status.StepExecutionMetadata[1].Status)
	}
	counts := countTypes(t, events(t, b, project))
	if counts[v1.TypePromotionAborted] != 1 || counts[v1.TypePromotionSucceeded] != 0 {
		t.Errorf("events = %v, want one promotion.aborted and no success", counts)
	}
}

// waitPromotions waits until the project has a Promotion and returns them.
func waitPromotions(t *testing.T, b *bus.Bus) []v1.Promotion {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ps, err := listPromotions(t, b)
		if err == nil && len(ps) > 0 {
			return ps
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no promotion was created")
	return nil
}
