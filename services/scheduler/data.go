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

// data gives a Promotion's expressions the Freight and Stage metadata of its project, read
// fresh on every call (EXPRESSIONS.md §5.6). Secrets and config maps are not wired yet:
// secret() and configMap() report that they are not available.
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
	return promotion.Data{
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
