package e2e_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/store"
	executorconfig "github.com/drayhq/dray/services/executor-config"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// TestPromotionRetention: as Promotions finish, a Stage keeps only its newest finished ones
// in dray-promotions; another Stage's are not touched.
func TestPromotionRetention(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startService(t, ns, "state", func(ctx context.Context, d service.Deps) error {
		return state.Run(ctx, state.Options{KeepPromotions: 3}, d)
	})
	startService(t, ns, "scheduler", func(ctx context.Context, d service.Deps) error { return scheduler.Run(ctx, scheduler.Options{}, d) })
	cfgOpts := executor.Options{CacheDir: t.TempDir()}
	startService(t, ns, "executor-config", func(ctx context.Context, d service.Deps) error { return executorconfig.Run(ctx, cfgOpts, d) })
	putResource(t, b, project, v1.KindStage, "dev", verifyingStage("dev", v1.FreightSources{Direct: true}))
	putResource(t, b, project, v1.KindStage, "other", verifyingStage("other", v1.FreightSources{Direct: true}))

	promote := func(stage string, i int) string {
		f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: fmt.Sprintf("v%d", i)}}})
		publishPromote(t, ns, stage, f)
		var name string
		waitFor(t, fmt.Sprintf("promotion %d into %s", i, stage), func() bool {
			st, err := store.Stage(t.Context(), b, project, stage)
			if err != nil || st.Status.LastPromotion == nil || st.Status.LastPromotion.Freight != f || st.Status.LastPromotion.Phase != v1.PhaseSucceeded {
				return false
			}
			name = st.Status.LastPromotion.Name
			return true
		})
		return name
	}
	promote("other", 100)
	promote("other", 101)
	var dev []string
	for i := range 6 {
		dev = append(dev, promote("dev", i))
	}
	// The Stage's status is recorded before the old Promotions are trimmed.
	var got []string
	others := 0
	want := slices.Sorted(slices.Values(dev[3:]))
	waitFor(t, "dev to keep its 3 newest Promotions", func() bool {
		ps, err := listPromotions(t, b)
		if err != nil {
			t.Fatal(err)
		}
		got, others = nil, 0
		for _, p := range ps {
			switch p.Spec.Stage {
			case "dev":
				got = append(got, p.Metadata.Name)
			case "other":
				others++
			}
		}
		slices.Sort(got)
		return len(got) <= 3
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dev's Promotions after 6 with 3 kept (-want +got):\n%s", diff)
	}
	if others != 2 {
		t.Errorf("other keeps %d Promotions, want its 2", others)
	}
}
