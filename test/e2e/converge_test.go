package e2e_test

import (
	"context"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/store"
	executorconfig "github.com/drayhq/dray/services/executor-config"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// verifiedInDev promotes a new Freight into dev by hand and waits until it is verified there.
func verifiedInDev(t *testing.T, ns *bustest.Server) string {
	t.Helper()
	b := ns.Connect(t)
	putResource(t, b, project, v1.KindStage, "dev", verifyingStage("dev", v1.FreightSources{Direct: true}))
	f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v7"}}})
	publishPromote(t, ns, "dev", f)
	waitFor(t, "the Freight to be verified in dev", func() bool { return freightVerifiedIn(t, b, f, "dev") })
	return f
}

// waitPromotedInto waits until Stage holds Freight f through a successful Promotion.
func waitPromotedInto(t *testing.T, ns *bustest.Server, stage, f string) {
	t.Helper()
	b := ns.Connect(t)
	waitFor(t, "an auto-promotion of the verified Freight into "+stage, func() bool {
		st, err := store.Stage(t.Context(), b, project, stage)
		return err == nil && st.Status.LastPromotion != nil && st.Status.LastPromotion.Phase == v1.PhaseSucceeded &&
			st.Status.LastPromotion.Freight == f
	})
}

// TestConvergesOnApply: a Stage whose Freight was verified upstream before it was applied —
// or before the ProjectConfig switching its auto-promotion on was — promotes it at once, with
// no later pipeline event.
func TestConvergesOnApply(t *testing.T) {
	t.Run("stage applied after", func(t *testing.T) {
		ns := bustest.Start(t)
		b := ns.Connect(t)
		startControlPlane(t, ns)
		putProjectConfig(t, b, autoPromoting("prod"))
		f := verifiedInDev(t, ns)
		waitSchedulerIdle(t, b)
		putResource(t, b, project, v1.KindStage, "prod", verifyingStage("prod", v1.FreightSources{Stages: []string{"dev"}}))
		waitPromotedInto(t, ns, "prod", f)
	})
	t.Run("project config applied after", func(t *testing.T) {
		ns := bustest.Start(t)
		b := ns.Connect(t)
		startControlPlane(t, ns)
		putResource(t, b, project, v1.KindStage, "prod", verifyingStage("prod", v1.FreightSources{Stages: []string{"dev"}}))
		f := verifiedInDev(t, ns)
		waitSchedulerIdle(t, b)
		putProjectConfig(t, b, autoPromoting("prod"))
		waitPromotedInto(t, ns, "prod", f)
	})
}

// TestConvergesOnResync: Freight that became available without any event or apply (here,
// written straight into the bucket) is promoted at the next resync.
func TestConvergesOnResync(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startService(t, ns, "state", func(ctx context.Context, d service.Deps) error { return state.Run(ctx, state.Options{}, d) })
	startService(t, ns, "scheduler", func(ctx context.Context, d service.Deps) error {
		return scheduler.Run(ctx, scheduler.Options{Resync: 500 * time.Millisecond}, d)
	})
	cfgOpts := executor.Options{CacheDir: t.TempDir()}
	startService(t, ns, "executor-config", func(ctx context.Context, d service.Deps) error {
		return executorconfig.Run(ctx, cfgOpts, d)
	})
	putProjectConfig(t, b, autoPromoting("prod"))
	putResource(t, b, project, v1.KindStage, "dev", verifyingStage("dev", v1.FreightSources{Direct: true}))
	putResource(t, b, project, v1.KindStage, "prod", verifyingStage("prod", v1.FreightSources{Stages: []string{"dev"}}))
	verified := func(tag string, at time.Time) string {
		return putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
			Metadata: v1.ObjectMeta{CreationTimestamp: &at},
			Images:   []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}},
			Status:   v1.FreightStatus{VerifiedIn: map[string]v1.VerifiedStage{"dev": {VerifiedAt: &at}}}})
	}
	first := verified("v8", time.Now().UTC())
	waitPromotedInto(t, ns, "prod", first)
	// Once the scheduler has handled every event the first promotion caused, nothing but the
	// resync looks at the second Freight.
	waitFor(t, "the first Freight to be verified in prod", func() bool { return freightVerifiedIn(t, b, first, "prod") })
	waitSchedulerIdle(t, b)
	second := verified("v9", time.Now().UTC().Add(time.Second))
	waitPromotedInto(t, ns, "prod", second)
}

// waitSchedulerIdle waits until the scheduler has handled every pipeline event stored so far.
func waitSchedulerIdle(t *testing.T, b *bus.Bus) {
	t.Helper()
	waitFor(t, "the scheduler to handle every pipeline event", func() bool {
		c, err := b.JS.Consumer(t.Context(), bus.StreamEvents, "scheduler-pipeline")
		if err != nil {
			return false
		}
		info, err := c.Info(t.Context())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
}

func freightVerifiedIn(t *testing.T, b *bus.Bus, f, stage string) bool {
	fr, err := store.Freight(t.Context(), b, project, f)
	if err != nil {
		return false
	}
	_, ok := fr.Status.VerifiedIn[stage]
	return ok
}
