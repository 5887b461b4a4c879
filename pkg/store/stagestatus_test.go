package store_test

import (
	"encoding/json"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestStageStatus: a Stage's recorded status is read; one never recorded is empty.
func TestStageStatus(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	data, _ := json.Marshal(v1.StageStatus{Waiting: "a window"})
	if _, err := b.Stages.Put(ctx, bus.Key("demo", "dev"), data); err != nil {
		t.Fatal(err)
	}
	st, err := store.StageStatus(ctx, b, "demo", "dev")
	if err != nil || st.Waiting != "a window" {
		t.Errorf("StageStatus(dev) = %+v, %v; want its recorded status", st, err)
	}
	st, err = store.StageStatus(ctx, b, "demo", "prod")
	if err != nil || st.Waiting != "" || st.CurrentPromotion != nil {
		t.Errorf("StageStatus(prod) = %+v, %v; want an empty status", st, err)
	}
}
