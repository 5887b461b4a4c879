package retention_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/services/state/internal/records"
	"github.com/drayhq/dray/services/state/internal/retention"
)

// TestTrim: past the newest Keep finished Promotions of a Stage, the older finished ones are
// deleted; one that has not finished, and the Promotions of other Stages, stay.
func TestTrim(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	log := slog.New(slog.DiscardHandler)
	put := func(name, stage, phase string) {
		t.Helper()
		p := v1.Promotion{Metadata: v1.ObjectMeta{Name: name, Namespace: "demo"}, Spec: v1.PromotionSpec{Stage: stage, Freight: "abc"},
			Status: v1.PromotionStatus{Phase: phase}}
		data, _ := json.Marshal(&p)
		if _, err := b.Promotions.Create(ctx, bus.Key("demo", name), data); err != nil {
			t.Fatal(err)
		}
	}
	// Names are <stage>.<ulid>.<freight>: in key order, oldest first.
	put("dev.01a.abc", "dev", v1.PhaseSucceeded)
	put("dev.01b.abc", "dev", v1.PhaseRunning)
	put("dev.01c.abc", "dev", v1.PhaseFailed)
	put("dev.01d.abc", "dev", v1.PhaseSucceeded)
	put("prod.01a.abc", "prod", v1.PhaseSucceeded)

	tr := &retention.Trimmer{Bus: b, Log: log, Records: records.New(b, log, nil), Keep: 1}
	if err := tr.Trim(ctx, "demo", "dev"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"dev.01a.abc": false, "dev.01b.abc": true, "dev.01c.abc": false, "dev.01d.abc": true, "prod.01a.abc": true} {
		_, err := b.Promotions.Get(ctx, bus.Key("demo", name))
		if got := !errors.Is(err, jetstream.ErrKeyNotFound); got != want {
			t.Errorf("after Trim, %s exists = %v, want %v (err %v)", name, got, want, err)
		}
	}
}
