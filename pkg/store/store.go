package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// ErrNotFound means the named resource does not exist. The error text names it.
var ErrNotFound = errors.New("not found")

// Stage returns a project's Stage, with its recorded status.
func Stage(ctx context.Context, b *bus.Bus, project, name string) (*v1.Stage, error) {
	var s v1.Stage
	if err := get(ctx, b, b.Resources, bus.ResourceKey(project, v1.KindStage, name), &s, "stage", name, project); err != nil {
		return nil, err
	}
	var st v1.StageStatus
	if _, err := b.GetJSON(ctx, b.Stages, bus.Key(project, name), &st); err == nil {
		s.Status = st
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, err
	}
	return &s, nil
}

// Promotion returns a project's Promotion.
func Promotion(ctx context.Context, b *bus.Bus, project, name string) (*v1.Promotion, error) {
	var p v1.Promotion
	if err := get(ctx, b, b.Promotions, bus.Key(project, name), &p, "promotion", name, project); err != nil {
		return nil, err
	}
	return &p, nil
}

// Task returns the spec of the PromotionTask (in project) or ClusterPromotionTask that ref
// names. A missing task wraps promotion.ErrTaskNotFound's text via ErrNotFound.
func Task(ctx context.Context, b *bus.Bus, project string, ref v1.PromotionTaskReference) (*v1.PromotionTaskSpec, error) {
	if ref.Kind == v1.KindClusterPromotionTask {
		var t v1.ClusterPromotionTask
		if err := get(ctx, b, b.Resources, bus.ResourceKey("", ref.Kind, ref.Name), &t, "ClusterPromotionTask", ref.Name, ""); err != nil {
			return nil, err
		}
		return &t.Spec, nil
	}
	var t v1.PromotionTask
	if err := get(ctx, b, b.Resources, bus.ResourceKey(project, v1.KindPromotionTask, ref.Name), &t, "PromotionTask", ref.Name, project); err != nil {
		return nil, err
	}
	return &t.Spec, nil
}

// Freight returns a project's Freight by name or, failing that, by alias.
func Freight(ctx context.Context, b *bus.Bus, project, nameOrAlias string) (*v1.Freight, error) {
	if nameOrAlias == "" {
		return nil, fmt.Errorf("freight: %w: give a Freight name or alias", ErrNotFound)
	}
	var f v1.Freight
	_, err := b.GetJSON(ctx, b.Freight, bus.Key(project, nameOrAlias), &f)
	if err == nil {
		return &f, nil
	}
	if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, err
	}
	if name, err := FreightByAlias(ctx, b, project, nameOrAlias); err != nil {
		return nil, err
	} else if name != "" {
		if _, err := b.GetJSON(ctx, b.Freight, bus.Key(project, name), &f); err == nil {
			return &f, nil
		}
	}
	// Freight stored before aliases were indexed: look through them all.
	all, err := List[v1.Freight](ctx, b, b.Freight, bus.Key(project, ">"))
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Alias == nameOrAlias {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("freight %q %w in project %q (by name or alias)", nameOrAlias, ErrNotFound, project)
}

// List decodes every entry of kv whose key matches the filter (a NATS subject pattern), in
// key order.
func List[T any](ctx context.Context, b *bus.Bus, kv jetstream.KeyValue, filter string) ([]T, error) {
	lister, err := kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list %s in %s: %w", filter, kv.Bucket(), err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		var v T
		if _, err := b.GetJSON(ctx, kv, k, &v); err != nil {
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				continue // deleted since listed
			}
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Projects lists the names of the projects that have a Project resource.
func Projects(ctx context.Context, b *bus.Bus) ([]string, error) {
	all, err := List[v1.Project](ctx, b, b.Resources, bus.ResourceKey("", v1.KindProject, ">"))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.Metadata.Name
	}
	return names, nil
}

func get(ctx context.Context, b *bus.Bus, kv jetstream.KeyValue, key string, v any, what, name, project string) error {
	_, err := b.GetJSON(ctx, kv, key, v)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("%s %q %w in project %q", what, name, ErrNotFound, strings.TrimPrefix(project, bus.ClusterProject))
	}
	return err
}

// ProjectConfig returns a project's ProjectConfig, or nil when it has none.
func ProjectConfig(ctx context.Context, b *bus.Bus, project string) (*v1.ProjectConfig, error) {
	var cfg v1.ProjectConfig
	if _, err := b.GetJSON(ctx, b.Resources, bus.ResourceKey(project, v1.KindProjectConfig, project), &cfg); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return &cfg, nil
}

// CustomStep returns the CustomPromotionStep named kind that project sees: its own, else the
// cluster-wide one; nil when there is none.
func CustomStep(ctx context.Context, b *bus.Bus, project, kind string) (*v1.CustomPromotionStep, error) {
	for _, p := range []string{project, ""} {
		var cs v1.CustomPromotionStep
		_, err := b.GetJSON(ctx, b.Resources, bus.ResourceKey(p, v1.KindCustomPromotionStep, kind), &cs)
		if err == nil {
			return &cs, nil
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) && !errors.Is(err, jetstream.ErrInvalidKey) {
			return nil, err
		}
	}
	return nil, nil
}
