package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// warehouseKeys matches every Warehouse in dray-resources: <project>.Warehouse.<name>.
const warehouseKeys = "*." + v1.KindWarehouse + ".>"

// watch follows the Warehouses in dray-resources until ctx ends, restarting the watch when
// it fails.
func (s *tracker) watch(ctx context.Context) error {
	for {
		err := s.watchOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		s.Log.Warn("warehouse watch stopped; restarting", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (s *tracker) watchOnce(ctx context.Context) error {
	w, err := s.Bus.Resources.Watch(ctx, warehouseKeys)
	if err != nil {
		return fmt.Errorf("watch warehouses: %w", err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("watch warehouses: updates closed")
			}
			if e != nil {
				s.apply(ctx, e)
			}
		}
	}
}

// apply tracks one change of a Warehouse resource.
func (s *tracker) apply(ctx context.Context, e jetstream.KeyValueEntry) {
	project, name, ok := strings.Cut(e.Key(), "."+v1.KindWarehouse+".")
	if !ok {
		return
	}
	if e.Operation() != jetstream.KeyValuePut {
		s.remove(ctx, project, name)
		return
	}
	var wh v1.Warehouse
	if err := json.Unmarshal(e.Value(), &wh); err != nil {
		s.Log.Error("cannot decode warehouse; ignoring it", "project", project, "warehouse", name, "err", err)
		return
	}
	wh.Metadata.Name = name
	s.upsert(ctx, project, wh)
}
