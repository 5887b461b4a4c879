package store

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// Warehouse returns a project's Warehouse with the status the warehouse service recorded.
func Warehouse(ctx context.Context, b *bus.Bus, project, name string) (*v1.Warehouse, error) {
	var w v1.Warehouse
	if err := get(ctx, b, b.Resources, bus.ResourceKey(project, v1.KindWarehouse, name), &w, "warehouse", name, project); err != nil {
		return nil, err
	}
	var st v1.WarehouseStatus
	if _, err := b.GetJSON(ctx, b.Warehouses, bus.Key(project, name), &st); err == nil {
		w.Status = st
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, err
	}
	return &w, nil
}

// WarehousesPage returns a page of a project's Warehouses, by name, with their recorded
// status; see ListPage.
func WarehousesPage(ctx context.Context, b *bus.Bus, project string, p Page) (all []v1.Warehouse, next string, remaining int, err error) {
	all, next, remaining, err = ListPage[v1.Warehouse](ctx, b, b.Resources, bus.ResourceKey(project, v1.KindWarehouse, ""), p)
	if err != nil {
		return nil, "", 0, err
	}
	for i := range all {
		var st v1.WarehouseStatus
		if _, err := b.GetJSON(ctx, b.Warehouses, bus.Key(project, all[i].Metadata.Name), &st); err == nil {
			all[i].Status = st
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, "", 0, err
		}
	}
	return all, next, remaining, nil
}
