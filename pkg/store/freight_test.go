package store_test

import (
	"errors"
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

// TestSetAlias: a Freight's alias can be changed; the old one is freed, a taken one refused.
func TestSetAlias(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	ctx := t.Context()
	a, c := newFreight("v1"), newFreight("v2")
	a.Alias, c.Alias = "first", "second"
	for _, f := range []*v1.Freight{a, c} {
		if _, err := store.CreateFreight(ctx, b, "shop", f); err != nil {
			t.Fatal(err)
		}
	}
	old, err := store.SetAlias(ctx, b, "shop", "first", "release-1")
	if err != nil || old != "first" {
		t.Fatalf("SetAlias = %q, %v", old, err)
	}
	got, err := store.Freight(ctx, b, "shop", "release-1")
	if err != nil || got.Metadata.Name != a.Metadata.Name || got.Metadata.Labels[v1.LabelAlias] != "release-1" {
		t.Fatalf("Freight(release-1) = %+v, %v", got, err)
	}
	if _, err := store.SetAlias(ctx, b, "shop", "second", "release-1"); !errors.Is(err, store.ErrAliasTaken) {
		t.Errorf("SetAlias to a taken alias = %v, want ErrAliasTaken", err)
	}
	// The old alias is free again.
	if _, err := store.SetAlias(ctx, b, "shop", "second", "first"); err != nil {
		t.Errorf("SetAlias to a freed alias = %v", err)
	}
	if _, err := store.SetAlias(ctx, b, "shop", "nope", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetAlias of a missing Freight = %v, want ErrNotFound", err)
	}
}
