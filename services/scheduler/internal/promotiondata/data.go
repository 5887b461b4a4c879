// Package promotiondata gives the scheduler's Promotion expressions their project's data
// from the control plane (docs/expressions.md#data-functions): Secrets, ConfigMaps, Freight and
// Stage metadata and status, and the Warehouses a Stage requests.
package promotiondata

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/store"
)

// For gives p's expressions the secrets, config maps and the Freight and Stage metadata of
// its project from b, read fresh on every render, and ui as ctx.uiBaseUrl. Without secrets
// (no secrets key), secret() and sharedSecret() report that they are not available.
func For(ctx context.Context, b *bus.Bus, secrets *secret.Store, ui string, p *v1.Promotion) promotion.Data {
	project := p.Metadata.Namespace
	freightStatus := func(name string) (*v1.FreightStatus, error) {
		var f v1.Freight
		if _, err := b.GetJSON(ctx, b.Freight, bus.Key(project, name), &f); err != nil {
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return nil, nil
			}
			return nil, err
		}
		return &f.Status, nil
	}
	configMap := func(project, name string) (map[string]string, error) {
		var cm v1.ConfigMap
		if _, err := b.GetJSON(ctx, b.Resources, bus.ResourceKey(project, v1.KindConfigMap, name), &cm); err != nil {
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return nil, nil
			}
			return nil, err
		}
		return cm.Data, nil
	}
	d := promotion.Data{
		UIBaseURL:       ui,
		ConfigMap:       func(name string) (map[string]string, error) { return configMap(project, name) },
		SharedConfigMap: func(name string) (map[string]string, error) { return configMap(v1.SharedProject, name) },
		FreightMetadata: func(name string) (map[string]any, error) {
			st, err := freightStatus(name)
			if st == nil {
				return nil, err
			}
			return st.Metadata, nil
		},
		FreightStatus: func(name string) (map[string]any, error) {
			st, err := freightStatus(name)
			if st == nil {
				return nil, err
			}
			return asMap(st)
		},
		StageMetadata: func(name string) (map[string]any, error) {
			var st v1.StageStatus
			if _, err := b.GetJSON(ctx, b.Stages, bus.Key(project, name), &st); err != nil {
				if errors.Is(err, jetstream.ErrKeyNotFound) {
					return nil, nil
				}
				return nil, err
			}
			return st.Metadata, nil
		},
	}
	d.Warehouses = sync.OnceValues(func() ([]v1.Warehouse, error) { return requested(ctx, b, project, p.Spec.Stage) })
	if secrets != nil {
		d.Secret = func(name string) (map[string]string, error) { return secrets.Data(ctx, project, name) }
		d.SharedSecret = func(name string) (map[string]string, error) { return secrets.SharedData(ctx, name) }
	}
	return d
}

// asMap turns a struct into the map of its JSON form, as expressions see it.
func asMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// requested returns the Warehouses the Stage requests Freight from, in order: the freight
// functions decide their origin from their subscriptions (expr.Env.Requested). A missing
// Warehouse is returned by name alone.
func requested(ctx context.Context, b *bus.Bus, project, stage string) ([]v1.Warehouse, error) {
	st, err := store.Stage(ctx, b, project, stage)
	if err != nil {
		return nil, err
	}
	var out []v1.Warehouse
	for _, r := range st.Spec.RequestedFreight {
		if r.Origin.Kind != "" && r.Origin.Kind != v1.KindWarehouse {
			continue
		}
		w, err := store.Warehouse(ctx, b, project, r.Origin.Name)
		if errors.Is(err, store.ErrNotFound) {
			// Gone: by name alone, its Freight in the collection decides (expr.Env.Requested).
			out = append(out, v1.Warehouse{Metadata: v1.ObjectMeta{Name: r.Origin.Name, Namespace: project}})
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *w)
	}
	return out, nil
}
