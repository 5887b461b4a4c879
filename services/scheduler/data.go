package scheduler

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
)

// data gives a Promotion's expressions the secrets, config maps and the Freight and Stage
// metadata of its project, read fresh on every render (EXPRESSIONS.md §5.6). Without a
// secrets key, secret() and sharedSecret() report that they are not available.
func (s *scheduler) data(ctx context.Context, p *v1.Promotion) promotion.Data {
	project := p.Metadata.Namespace
	freightStatus := func(name string) (*v1.FreightStatus, error) {
		var f v1.Freight
		if _, err := s.Bus.GetJSON(ctx, s.Bus.Freight, bus.Key(project, name), &f); err != nil {
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return nil, nil
			}
			return nil, err
		}
		return &f.Status, nil
	}
	configMap := func(project, name string) (map[string]string, error) {
		var cm v1.ConfigMap
		if _, err := s.Bus.GetJSON(ctx, s.Bus.Resources, bus.ResourceKey(project, v1.KindConfigMap, name), &cm); err != nil {
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return nil, nil
			}
			return nil, err
		}
		return cm.Data, nil
	}
	d := promotion.Data{
		UIBaseURL:       s.ui,
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
			if _, err := s.Bus.GetJSON(ctx, s.Bus.Stages, bus.Key(project, name), &st); err != nil {
				if errors.Is(err, jetstream.ErrKeyNotFound) {
					return nil, nil
				}
				return nil, err
			}
			return st.Metadata, nil
		},
	}
	if s.Secrets != nil {
		d.Secret = func(name string) (map[string]string, error) { return s.Secrets.Data(ctx, project, name) }
		d.SharedSecret = func(name string) (map[string]string, error) { return s.Secrets.SharedData(ctx, name) }
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
