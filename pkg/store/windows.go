package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
)

// ClusterConfig returns the ClusterConfig, or nil when there is none.
func ClusterConfig(ctx context.Context, b *bus.Bus) (*v1.ClusterConfig, error) {
	var cfg v1.ClusterConfig
	if _, err := b.GetJSON(ctx, b.Resources, bus.ResourceKey("", v1.KindClusterConfig, v1.ClusterConfigName), &cfg); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("read the ClusterConfig: %w", err)
	}
	return &cfg, nil
}

// StageWindows returns the promotion windows that apply to the Stage named name of project
// (Windows); none when the Stage is gone.
func StageWindows(ctx context.Context, b *bus.Bus, project, name string) ([]v1.PromotionWindow, error) {
	s, err := Stage(ctx, b, project, name)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return Windows(ctx, b, project, s)
}

// Windows returns the promotion windows that apply to Stage s of project: those of the
// ClusterConfig, the project's ProjectConfig and the Stage (pipeline.Windows).
func Windows(ctx context.Context, b *bus.Bus, project string, s *v1.Stage) ([]v1.PromotionWindow, error) {
	cluster, err := ClusterConfig(ctx, b)
	if err != nil {
		return nil, err
	}
	var p *v1.Project
	if cluster != nil {
		var proj v1.Project
		_, err := b.GetJSON(ctx, b.Resources, bus.ResourceKey("", v1.KindProject, project), &proj)
		switch {
		case err == nil:
			p = &proj
		case !errors.Is(err, jetstream.ErrKeyNotFound):
			return nil, fmt.Errorf("read project %q: %w", project, err)
		}
	}
	cfg, err := ProjectConfig(ctx, b, project)
	if err != nil {
		return nil, err
	}
	if s.Metadata.Namespace == "" {
		c := *s
		c.Metadata.Namespace = project
		s = &c
	}
	return pipeline.Windows(cluster, p, cfg, s), nil
}
