package warehouse_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/services/warehouse"
)

// catalog is a generic discoverer over an in-memory list of versions per model, newest first,
// as a registry of machine-learning models would answer.
type catalog struct {
	mu       sync.Mutex
	versions map[string][]v1.DiscoveredGenericArtifact
}

func (c *catalog) Discover(_ context.Context, _ string, sub v1.GenericSubscription) ([]v1.DiscoveredGenericArtifact, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	model, _ := sub.Config["model"].(string)
	return append([]v1.DiscoveredGenericArtifact(nil), c.versions[model]...), nil
}

// TestGenericSubscription: a generic subscription is discovered by the discoverer registered
// for its type and its newest artifact is carried in Freight beside a commit; the criteria
// read it with artifactFrom(); a type without a discoverer leaves the Warehouse not Ready,
// naming the type.
func TestGenericSubscription(t *testing.T) {
	git := gittest.NewServer(t)
	url := git.Repo(t, "cfg", map[string]string{"app.yaml": "v: 1\n"})
	models := &catalog{versions: map[string][]v1.DiscoveredGenericArtifact{
		"sentiment": {{Version: "v3", Metadata: map[string]any{"accuracy": 0.93}}, {Version: "v2"}},
	}}
	b := start(t, warehouse.Options{Generic: map[string]warehouse.GenericDiscoverer{"modelhub": models}})
	apply(t, b, "ml", v1.WarehouseSpec{
		Interval:                "1h",
		FreightCreationCriteria: &v1.FreightCreationCriteria{Expression: `artifactFrom("model").Version == "v3"`},
		Subscriptions: []v1.RepoSubscription{
			{Name: "model", Generic: &v1.GenericSubscription{Type: "modelhub", Config: map[string]any{"model": "sentiment"}, DiscoveryLimit: 1}},
			{Git: &v1.GitSubscription{RepoURL: url}},
		},
	})
	apply(t, b, "unknown", v1.WarehouseSpec{
		Subscriptions: []v1.RepoSubscription{{Name: "x", Generic: &v1.GenericSubscription{Type: "nobody"}}},
	})
	st := waitStatus(t, b, "ml", "FreightCreated", hasCondition(warehouse.ConditionFreightCreated, "True", warehouse.ReasonCreated))
	if r := st.DiscoveredArtifacts.Results; len(r) != 1 || r[0].SubscriptionName != "model" || len(r[0].Artifacts) != 1 {
		t.Errorf("discovered results = %+v, want model's newest artifact only (discoveryLimit 1)", r)
	}
	all := listFreight(t, b)
	if len(all) != 1 {
		t.Fatalf("%d Freight, want 1", len(all))
	}
	want := []v1.GenericArtifact{{ArtifactType: "modelhub", SubscriptionName: "model", Version: "v3", Metadata: map[string]any{"accuracy": 0.93}}}
	if diff := cmp.Diff(want, all[0].Artifacts); diff != "" || len(all[0].Commits) != 1 {
		t.Errorf("Freight artifacts (-want +got):\n%s\ncommits: %v", diff, all[0].Commits)
	}
	st = waitStatus(t, b, "unknown", "Ready=False", hasCondition(warehouse.ConditionReady, "False", warehouse.ReasonDiscoveryError))
	if msg := condition(st, warehouse.ConditionReady).Message; !strings.Contains(msg, `"nobody"`) {
		t.Errorf("Ready message = %q, want it to name the generic type without a discoverer", msg)
	}
}
