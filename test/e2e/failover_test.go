package e2e_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// tickStep takes a moment, so that Promotions are in flight when a node is lost.
type tickStep struct{}

func (tickStep) Info() steps.Info { return steps.Info{Name: "tick", Executor: "test", ReadOnly: true} }
func (tickStep) Run(ctx context.Context, _ *steps.Context) (steps.Result, error) {
	select {
	case <-ctx.Done():
		return steps.Result{}, ctx.Err()
	case <-time.After(20 * time.Millisecond):
	}
	return steps.Result{}, nil
}

// TestNoPromotionStuckAfterNodeLoss runs promotions across six Stages on a 3-node cluster
// (--nats-replicas 3) and, twice while work is in flight, loses the node that leads most
// streams and buckets and brings it back. Each node has its own state service, scheduler and
// executor, connected to that node alone (as a service beside its NATS node reconnects to it):
// two thirds of them read from a follower, which applies a write a moment after the leader
// acknowledged it, and one set waits while its node is away and reads from it as it catches up.
// Every Promotion ends Succeeded: none is left Running or Pending because a lagging replica's
// copy of a Promotion or Stage was taken for "nothing to do" (pkg/bus/README.md, "Reading your
// own writes"). With GetLatestJSON reading from any replica, 2 of 3 runs left some Running.
func TestNoPromotionStuckAfterNodeLoss(t *testing.T) {
	c := bustest.StartCluster(t, 3)
	b := c.Connect(t)
	lost := busiestNode(t, c, b)
	route := func(uses string) (string, bool) {
		if uses == "tick" {
			return "test", true
		}
		return scheduler.Route(uses)
	}
	o := bus.Options{Replicas: 3}
	for node := range c.Servers {
		// Connected to this node alone: a client that reconnects to the node it lost, as a
		// service next to its NATS node does, and so reads from it while it catches up.
		url, pin := c.NodeURL(node), []nats.Option{nats.IgnoreDiscoveredServers(), nats.MaxReconnects(-1), nats.ReconnectWait(50 * time.Millisecond)}
		suffix := fmt.Sprintf("-n%d", node+1)
		startServiceAt(t, url, o, "state"+suffix, func(ctx context.Context, d service.Deps) error {
			return state.Run(ctx, state.Options{}, d)
		}, pin...)
		startServiceAt(t, url, o, "scheduler"+suffix, func(ctx context.Context, d service.Deps) error {
			return scheduler.Run(ctx, scheduler.Options{Route: route}, d)
		}, pin...)
		opts := executor.Options{CacheDir: t.TempDir(), Workers: 4}
		startServiceAt(t, url, o, "executor-test"+suffix, func(ctx context.Context, d service.Deps) error {
			reg, err := steps.NewRegistry(tickStep{})
			if err != nil {
				return err
			}
			return executor.Run(ctx, opts, executor.Deps{Name: "test", Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: reg})
		}, pin...)
	}

	const stages, perStage = 6, 6
	tick := []v1.PromotionStep{{Uses: "tick", As: "one"}, {Uses: "tick", As: "two"}, {Uses: "tick", As: "three"}}
	for s := range stages {
		name := fmt.Sprintf("s%d", s)
		putResource(t, b, project, v1.KindStage, name, v1.Stage{
			TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
			Metadata: v1.ObjectMeta{Name: name, Namespace: project},
			Spec:     v1.StageSpec{RequestedFreight: direct, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: tick}}},
		})
	}
	var freight []string
	for i := range perStage {
		freight = append(freight, putFreight(t, b, project, &v1.Freight{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: fmt.Sprintf("v%d", i)}},
		}))
	}
	// Every promote request at once: each Stage runs one and queues the rest as Pending.
	for i, f := range freight {
		for s := range stages {
			cmd := v1.PromoteCommand{Project: project, Stage: fmt.Sprintf("s%d", s), Freight: f, ID: fmt.Sprintf("p-%d-%d", s, i)}
			if err := b.Publish(t.Context(), bus.CommandSubject(project, "promote"), cmd.ID, cmd); err != nil {
				t.Fatal(err)
			}
		}
	}
	const total = stages * perStage
	// Twice: the busiest node is lost while work is in flight, the other set carries on
	// alone for a while, and the node comes back and is read from while it catches up.
	for _, at := range []int{3, total / 2} {
		waitSucceeded(t, b, at, total, 60*time.Second)
		c.Stop(lost)
		t.Logf("stopped n%d", lost+1)
		waitSucceeded(t, b, at+6, total, 60*time.Second)
		c.Start(lost)
		t.Logf("started n%d again", lost+1)
	}

	ps := waitSucceeded(t, b, total, total, 90*time.Second)
	unfinished := map[string]int{}
	for _, p := range ps {
		if p.Status.Phase != v1.PhaseSucceeded {
			unfinished[p.Status.Phase]++
			t.Errorf("promotion %s of Stage %s is %s: %s", p.Metadata.Name, p.Spec.Stage, p.Status.Phase, p.Status.Message)
		}
	}
	if len(ps) != total || len(unfinished) > 0 {
		t.Fatalf("%d promotions, not Succeeded by phase: %v; want %d, all Succeeded", len(ps), unfinished, total)
	}
}

// busiestNode returns the index of the server that leads most of the layout's streams
// (buckets included).
func busiestNode(t *testing.T, c *bustest.Cluster, b *bus.Bus) int {
	t.Helper()
	led := make([]int, len(c.Servers))
	names := b.JS.StreamNames(t.Context())
	for name := range names.Name() {
		if i := c.StreamLeader(name); i >= 0 {
			led[i]++
		}
	}
	if err := names.Err(); err != nil {
		t.Fatal(err)
	}
	busiest := 0
	for i, n := range led {
		if n > led[busiest] {
			busiest = i
		}
	}
	t.Logf("streams led by node: %v", led)
	return busiest
}

// waitSucceeded waits until at least n of the project's Promotions have succeeded, or all
// total have finished, and returns them; on timeout it returns what it read last.
func waitSucceeded(t *testing.T, b *bus.Bus, n, total int, within time.Duration) []v1.Promotion {
	t.Helper()
	deadline := time.Now().Add(within)
	var ps []v1.Promotion
	for time.Now().Before(deadline) {
		var err error
		if ps, err = listPromotions(t, b); err == nil {
			succeeded, finished := 0, 0
			for _, p := range ps {
				if p.Status.Finished() {
					finished++
				}
				if p.Status.Phase == v1.PhaseSucceeded {
					succeeded++
				}
			}
			if succeeded >= n || finished == total {
				return ps
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("after %s, fewer than %d of %d promotions succeeded", within, n, total)
	return ps
}
