package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/freight"
)

// CreateFreight stores f in project under its content-derived ID (RESOURCES.md §3.1, which
// overwrites any name f has) and publishes freight.created. A Freight with that ID that
// exists already is left alone: CreateFreight then reports created false, and f is not
// changed further. On create it sets the creation time, discoveredAt (when unset) and the
// alias (from the kargo.akuity.io/alias label, else a new unused one).
//
// The store is a KV create, so two writers racing on the same content store one Freight.
// The event's ID is <project>/<freight>/created, so a republished event is stored once.
func CreateFreight(ctx context.Context, b *bus.Bus, project string, f *v1.Freight) (created bool, err error) {
	f.Metadata.Name = freight.ID(f)
	f.Metadata.Namespace = project
	key := bus.Key(project, f.Metadata.Name)
	if _, err := b.Freight.Get(ctx, key); err == nil {
		return false, nil
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, fmt.Errorf("read freight %s: %w", key, err)
	}
	now := time.Now().UTC()
	f.Metadata.CreationTimestamp = &now
	if f.DiscoveredAt == nil {
		f.DiscoveredAt = &now
	}
	if f.Alias == "" {
		f.Alias = f.Metadata.Labels[v1.LabelAlias]
	}
	if f.Alias == "" {
		taken := map[string]bool{}
		if all, err := aliases(ctx, b, project); err == nil {
			taken = all
		}
		f.Alias = freight.NewAlias(func(s string) bool { return taken[s] })
	}
	data, err := json.Marshal(f)
	if err != nil {
		return false, fmt.Errorf("encode freight %s: %w", key, err)
	}
	if _, err := b.Freight.Create(ctx, key, data); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil
		}
		return false, fmt.Errorf("create freight %s: %w", key, err)
	}
	ev := v1.FreightEvent{Project: project, Freight: f.Metadata.Name, Alias: f.Alias, Origin: f.Origin}
	id := project + "/" + f.Metadata.Name + "/created"
	if err := b.PublishEvent(ctx, project, v1.TypeFreightCreated, id, "freight/"+f.Metadata.Name, ev); err != nil {
		return true, err
	}
	return true, nil
}

// aliases returns the aliases of a project's Freight.
func aliases(ctx context.Context, b *bus.Bus, project string) (map[string]bool, error) {
	all, err := List[v1.Freight](ctx, b, b.Freight, bus.Key(project, ">"))
	if err != nil {
		return nil, err
	}
	taken := make(map[string]bool, len(all))
	for _, f := range all {
		taken[f.Alias] = true
	}
	return taken, nil
}
