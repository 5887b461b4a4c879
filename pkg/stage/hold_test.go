package stage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/stage"
)

func TestHoldFor(t *testing.T) {
	// f2 is the candidate: the newest Freight verified in qa.
	all := []v1.Freight{freight("f1", -2*time.Hour, "qa"), freight("f2", -time.Hour, "qa"), freight("f3", 0)}
	fromQA := stageSpec(v1.FreightSources{Stages: []string{"qa"}})
	noFreight := promo("p", "f1", v1.PhaseSucceeded, byAna)
	noFreight.Status.Freight = nil
	tests := []struct {
		name      string
		p         *v1.Promotion
		s         *v1.Stage
		cfg       *v1.ProjectConfig
		cfgErr    error
		want      stage.HoldChange
		wantErr   bool
		noReads   bool
		noFreight bool // the Freight must not be listed
	}{
		{name: "a person promotes an older Freight (a rollback): hold", p: promo("p", "f1", v1.PhaseSucceeded, byAna), s: fromQA, cfg: autoOn(), want: stage.HoldSet},
		{name: "a person promotes the candidate: lift", p: promo("p", "f2", v1.PhaseSucceeded, byAna), s: fromQA, cfg: autoOn(), want: stage.HoldLift},
		{name: "a person promotes Freight not available by the rules: hold", p: promo("p", "f3", v1.PhaseSucceeded, byAna), s: fromQA, cfg: autoOn(), want: stage.HoldSet},
		{name: "an auto-promotion changes no hold", p: promo("p", "f1", v1.PhaseSucceeded, byAuto), s: fromQA, cfg: autoOn(), want: stage.HoldKeep, noReads: true},
		{name: "the Stage was deleted: nothing", p: promo("p", "f1", v1.PhaseSucceeded, byAna), cfg: autoOn(), want: stage.HoldKeep, noReads: true},
		{name: "no Freight recorded on the Promotion: nothing", p: noFreight, s: fromQA, cfg: autoOn(), want: stage.HoldKeep, noReads: true},
		{name: "auto-promotion off (no ProjectConfig): no holds", p: promo("p", "f1", v1.PhaseSucceeded, byAna), s: fromQA, want: stage.HoldClear, noFreight: true},
		{name: "auto-promotion off for the Stage: no holds", p: promo("p", "f1", v1.PhaseSucceeded, byAna), s: fromQA,
			cfg:  &v1.ProjectConfig{Spec: v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{{Stage: "qa", AutoPromotionEnabled: true}}}},
			want: stage.HoldClear, noFreight: true},
		{name: "the config cannot be read: an error", p: promo("p", "f1", v1.PhaseSucceeded, byAna), s: fromQA, cfgErr: errors.New("timeout"), wantErr: true, noFreight: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readCfg, listed := false, false
			got, err := stage.HoldFor(tt.p, tt.s, now,
				func() (*v1.ProjectConfig, error) { readCfg = true; return tt.cfg, tt.cfgErr },
				func() ([]v1.Freight, error) { listed = true; return all, nil })
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("HoldFor() = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
			if tt.noReads && (readCfg || listed) || tt.noFreight && listed {
				t.Errorf("read the config: %v, listed Freight: %v; not needed here", readCfg, listed)
			}
		})
	}
}

func TestApplyHold(t *testing.T) {
	rollback := promo("p1", "f1", v1.PhaseSucceeded, byAna)
	hold := v1.AutoPromotionHold{FreightName: "f1", Origin: origin, PromotionName: "p1", Actor: "ana", CreatedAt: at(0)}
	otherHold := v1.AutoPromotionHold{FreightName: "d1", Origin: other, PromotionName: "p0", Actor: "bo"}
	tests := []struct {
		name    string
		st      v1.StageStatus
		p       *v1.Promotion
		change  stage.HoldChange
		want    v1.StageStatus
		changed bool
	}{
		{name: "set: the origin is held by the Promotion", p: rollback, change: stage.HoldSet, changed: true,
			want: v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/app": hold}}},
		{name: "set again by the same Promotion: once", p: rollback, change: stage.HoldSet,
			st:   v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/app": hold}},
			want: v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/app": hold}}},
		{name: "set by a newer rollback: it replaces the hold", p: promo("p3", "f0", v1.PhaseSucceeded, byAna), change: stage.HoldSet, changed: true,
			st: v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/app": hold}},
			want: v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/app": {
				FreightName: "f0", Origin: origin, PromotionName: "p3", Actor: "ana", CreatedAt: at(0)}}}},
		{name: "lift: only the origin's hold goes", p: promo("p2", "f2", v1.PhaseSucceeded, byAna), change: stage.HoldLift, changed: true,
			st:   v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/app": hold, "Warehouse/db": otherHold}},
			want: v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/db": otherHold}}},
		{name: "lift with no hold: nothing", p: promo("p2", "f2", v1.PhaseSucceeded, byAna), change: stage.HoldLift},
		{name: "clear: auto-promotion off drops every hold", p: rollback, change: stage.HoldClear, changed: true,
			st: v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/app": hold, "Warehouse/db": otherHold}}},
		{name: "keep: nothing", p: rollback, change: stage.HoldKeep,
			st:   v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/db": otherHold}},
			want: v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/db": otherHold}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			if got := stage.ApplyHold(&st, tt.p, tt.change); got != tt.changed {
				t.Errorf("ApplyHold() = %v, want %v", got, tt.changed)
			}
			if diff := cmp.Diff(tt.want, st); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
	st := v1.StageStatus{}
	if stage.ClearHolds(&st) {
		t.Error("ClearHolds() of no holds reported a change")
	}
}
