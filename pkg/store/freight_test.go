package store_test

import (
	"fmt"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

func newFreight(tag string) *v1.Freight {
	return &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}},
	}
}

// TestCreateFreightAliases: every Freight gets its own alias, a given alias that another
// Freight holds is refused, the same content is stored once, and Freight is found by alias.
func TestCreateFreightAliases(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	ctx := t.Context()
	seen := map[string]string{}
	for i := range 40 {
		f := newFreight(fmt.Sprintf("v1.%d.0", i))
		created, err := store.CreateFreight(ctx, b, "shop", f)
		if err != nil || !created {
			t.Fatalf("CreateFreight #%d = %v, %v", i, created, err)
		}
		if other, dup := seen[f.Alias]; dup {
			t.Fatalf("alias %q given to %s and %s", f.Alias, other, f.Metadata.Name)
		}
		seen[f.Alias] = f.Metadata.Name
	}
	again := newFreight("v1.0.0")
	if created, err := store.CreateFreight(ctx, b, "shop", again); err != nil || created {
		t.Errorf("CreateFreight of known content = %v, %v; want not created", created, err)
	}
	for alias, name := range seen {
		f, err := store.Freight(ctx, b, "shop", alias)
		if err != nil || f.Metadata.Name != name {
			t.Fatalf("Freight(%s) = %v, %v; want %s", alias, f, err, name)
		}
		break
	}
	var taken string
	for a := range seen {
		taken = a
		break
	}
	clash := newFreight("v9.9.9")
	clash.Alias = taken
	if _, err := store.CreateFreight(ctx, b, "shop", clash); err == nil || !strings.Contains(err.Error(), "is taken") {
		t.Errorf("CreateFreight with a taken alias = %v, want refused", err)
	}
	// Another project may use the same alias.
	other := newFreight("v9.9.9")
	other.Alias = taken
	if created, err := store.CreateFreight(ctx, b, "blog", other); err != nil || !created {
		t.Errorf("CreateFreight in another project with the same alias = %v, %v", created, err)
	}
	// Alias entries do not show up as Freight.
	all, err := store.List[v1.Freight](ctx, b, b.Freight, "shop.>")
	if err != nil || len(all) != 40 {
		t.Errorf("List(shop) = %d Freight, %v; want 40", len(all), err)
	}
	if _, err := store.Freight(ctx, b, "shop", "no such alias"); err == nil {
		t.Error("Freight of an alias with a space found something")
	}
}
