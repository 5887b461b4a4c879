package warehouse_test

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/services/warehouse"
)

// TestCreationCriteria: Freight is made only once the criteria expression holds for the
// newest artifacts; a broken expression marks the Warehouse not Ready.
func TestCreationCriteria(t *testing.T) {
	git := gittest.NewServer(t)
	url := git.Repo(t, "cfg", map[string]string{"app.yaml": "v: 1\n"})
	b := start(t, warehouse.Options{})
	apply(t, b, "gated", v1.WarehouseSpec{
		Interval:                "1h",
		FreightCreationCriteria: &v1.FreightCreationCriteria{Expression: `commitFrom("` + url + `").Subject startsWith "release"`},
		Subscriptions:           []v1.RepoSubscription{{Git: &v1.GitSubscription{RepoURL: url}}},
	})
	apply(t, b, "broken", v1.WarehouseSpec{
		FreightCreationCriteria: &v1.FreightCreationCriteria{Expression: `commitFrom("` + url + `").Subject + 1`},
		Subscriptions:           []v1.RepoSubscription{{Git: &v1.GitSubscription{RepoURL: url}}},
	})
	waitStatus(t, b, "gated", "FreightCreated=False/CriteriaNotMet", hasCondition(warehouse.ConditionFreightCreated, "False", warehouse.ReasonCriteriaNotMet))
	st := waitStatus(t, b, "broken", "Ready=False/CriteriaError", hasCondition(warehouse.ConditionReady, "False", warehouse.ReasonCriteriaError))
	if msg := condition(st, warehouse.ConditionReady).Message; !strings.Contains(msg, "freightCreationCriteria.expression") {
		t.Errorf("broken criteria message = %q, want it to name the field", msg)
	}
	if n := len(listFreight(t, b)); n != 0 {
		t.Fatalf("freight before the criteria hold: %d, want 0", n)
	}
	release := git.Commit(t, "cfg", "main", "release 1.0", map[string]string{"app.yaml": "v: 2\n"})
	refresh(t, b, "gated", "after-release")
	st = waitStatus(t, b, "gated", "lastHandledRefresh after-release", handled("after-release"))
	all := listFreight(t, b)
	if len(all) != 1 || all[0].Commits[0].ID != release || condition(st, warehouse.ConditionFreightCreated).Reason != warehouse.ReasonCreated {
		t.Errorf("after a release commit: freight %+v, FreightCreated %+v; want one Freight of %s", all, condition(st, warehouse.ConditionFreightCreated), release)
	}
}

// TestImageWarehouse: an image pushed to a registry on loopback becomes a Freight with its
// tag and digest (through the real image discovery).
func TestImageWarehouse(t *testing.T) {
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	repo := strings.TrimPrefix(reg.URL, "http://") + "/shop/web"
	var digests []string
	for _, tag := range []string{"1.0.0", "1.1.0", "latest"} {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.ParseReference(repo+":"+tag, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img, remote.WithContext(t.Context())); err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
	}
	b := start(t, warehouse.Options{})
	apply(t, b, "images", v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{
		{Name: "web", Image: &v1.ImageSubscription{RepoURL: repo, Constraint: "^1.0.0"}},
	}})
	st := waitStatus(t, b, "images", "FreightCreated=True", hasCondition(warehouse.ConditionFreightCreated, "True", warehouse.ReasonCreated))
	if got := st.DiscoveredArtifacts.Images; len(got) != 1 || len(got[0].References) != 2 || got[0].SubscriptionName != "web" {
		t.Errorf("discovered images = %+v, want 1.1.0 and 1.0.0 of subscription web", got)
	}
	all := listFreight(t, b)
	if len(all) != 1 || len(all[0].Images) != 1 {
		t.Fatalf("freight = %+v, want one with one image", all)
	}
	if im := all[0].Images[0]; im.RepoURL != repo || im.Tag != "1.1.0" || im.Digest != digests[1] || im.SubscriptionName != "web" {
		t.Errorf("freight image = %+v, want %s:1.1.0@%s of subscription web", im, repo, digests[1])
	}
}
