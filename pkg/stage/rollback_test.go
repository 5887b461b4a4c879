package stage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/stage"
)

var rolledBack = annotated(v1.AnnotationRollback, "true")

func TestStable(t *testing.T) {
	var st v1.StageStatus
	if !stage.Stable(&st, "f1", origin, now) {
		t.Fatal("Stable(f1) = false on an empty status")
	}
	if stage.Stable(&st, "f1", origin, now.Add(time.Minute)) {
		t.Error("Stable(f1) again = true; the first verification is the one on record")
	}
	if !stage.Stable(&st, "f2", origin, now.Add(time.Hour)) || !stage.Stable(&st, "d1", other, now) {
		t.Fatal("Stable of newer or other-origin Freight = false")
	}
	want := map[string]v1.StableFreight{
		"Warehouse/app": {Freight: "f2", Origin: origin, VerifiedAt: at(time.Hour)},
		"Warehouse/db":  {Freight: "d1", Origin: other, VerifiedAt: at(0)},
	}
	if diff := cmp.Diff(want, st.LastStableFreight); diff != "" {
		t.Errorf("LastStableFreight (-want +got):\n%s", diff)
	}
}

func TestDeviate(t *testing.T) {
	onFailed := &pipeline.RollbackPolicy{OnVerification: []string{v1.PhaseFailed}, MaxAge: time.Hour}
	both := &pipeline.RollbackPolicy{OnVerification: []string{v1.PhaseFailed, v1.PhaseErrored}, OnPromotion: []string{v1.PhaseFailed}, MaxAge: time.Hour}
	held := []v1.StageHistoryEntry{{Freight: "f2", Origin: origin, Promotion: "prod.01b.f2", Since: at(-time.Minute)}}
	heldByRollback := []v1.StageHistoryEntry{{Freight: "f1", Origin: origin, Promotion: "prod.01c.f1", Since: at(-time.Minute), Rollback: true}}
	tests := []struct {
		name    string
		p       *v1.Promotion
		policy  *pipeline.RollbackPolicy
		history []v1.StageHistoryEntry
		want    []v1.StageDeviation
	}{
		{name: "a failed verification deviates", p: promo("v1", "f2", v1.PhaseFailed, verificationRun), policy: onFailed, history: held,
			want: []v1.StageDeviation{{Freight: "f2", Origin: origin, Promotion: "v1", Phase: v1.PhaseFailed, Verification: true, At: at(0)}}},
		{name: "auto-rollback off: nothing", p: promo("v1", "f2", v1.PhaseFailed, verificationRun), history: held},
		{name: "an errored verification, when only Failed rolls back: nothing", p: promo("v1", "f2", v1.PhaseErrored, verificationRun), policy: onFailed, history: held},
		{name: "an errored verification, when Errored rolls back", p: promo("v1", "f2", v1.PhaseErrored, verificationRun), policy: both, history: held,
			want: []v1.StageDeviation{{Freight: "f2", Origin: origin, Promotion: "v1", Phase: v1.PhaseErrored, Verification: true, At: at(0)}}},
		{name: "an aborted verification never deviates", p: promo("v1", "f2", v1.PhaseAborted, verificationRun), policy: both, history: held},
		{name: "a failed Promotion, when onPromotion is empty: nothing", p: promo("p2", "f2", v1.PhaseFailed), policy: onFailed, history: held},
		{name: "a failed Promotion, when onPromotion says Failed", p: promo("p2", "f3", v1.PhaseFailed), policy: both, history: held,
			want: []v1.StageDeviation{{Freight: "f3", Origin: origin, Promotion: "p2", Phase: v1.PhaseFailed, At: at(0)}}},
		{name: "a failed verification of Freight a rollback delivered is marked so", p: promo("v1", "f1", v1.PhaseFailed, verificationRun), policy: onFailed, history: heldByRollback,
			want: []v1.StageDeviation{{Freight: "f1", Origin: origin, Promotion: "v1", Phase: v1.PhaseFailed, Verification: true, Rollback: true, At: at(0)}}},
		{name: "a failed rollback Promotion is marked so", p: promo("p3", "f1", v1.PhaseFailed, rolledBack), policy: both, history: held,
			want: []v1.StageDeviation{{Freight: "f1", Origin: origin, Promotion: "p3", Phase: v1.PhaseFailed, Rollback: true, At: at(0)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := v1.StageStatus{FreightHistory: tt.history}
			got := stage.Deviate(&st, tt.p, tt.policy)
			if got != (tt.want != nil) {
				t.Errorf("Deviate() = %v, want %v", got, tt.want != nil)
			}
			if diff := cmp.Diff(tt.want, st.Deviations); diff != "" {
				t.Errorf("Deviations (-want +got):\n%s", diff)
			}
			if got && stage.Deviate(&st, tt.p, tt.policy) {
				t.Error("Deviate() twice = true; a redelivered record must record the deviation once")
			}
		})
	}
}

func TestNextRollback(t *testing.T) {
	const maxAge = 20 * time.Minute
	dev := func(promotion, freight string, o v1.FreightOrigin, ago time.Duration, opts ...func(*v1.StageDeviation)) v1.StageDeviation {
		d := v1.StageDeviation{Freight: freight, Origin: o, Promotion: promotion, Phase: v1.PhaseFailed, Verification: true, At: at(-ago)}
		for _, o := range opts {
			o(&d)
		}
		return d
	}
	byRollback := func(d *v1.StageDeviation) { d.Rollback = true }
	failedPromotion := func(d *v1.StageDeviation) { d.Verification = false }
	stable := map[string]v1.StableFreight{
		"Warehouse/app": {Freight: "f1", Origin: origin, VerifiedAt: at(-time.Hour)},
		"Warehouse/db":  {Freight: "d1", Origin: other, VerifiedAt: at(-time.Hour)},
	}
	holding := func(entries ...v1.StageHistoryEntry) []v1.StageHistoryEntry { return entries }
	f2 := v1.StageHistoryEntry{Freight: "f2", Origin: origin, Promotion: "p-f2", Since: at(-40 * time.Minute)}
	d2 := v1.StageHistoryEntry{Freight: "d2", Origin: other, Promotion: "p-d2", Since: at(-40 * time.Minute)}
	tests := []struct {
		name     string
		st       v1.StageStatus
		rejected map[string]string
		wantTo   string // "" when nothing starts
		wantFrom string // the deviation started
		skipped  map[string]string
	}{
		{name: "settled after a failed verification: roll back to the last stable Freight",
			st:     v1.StageStatus{FreightHistory: holding(f2), LastStableFreight: stable, Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, 5*time.Minute)}},
			wantTo: "f1", wantFrom: "v-f2"},
		{name: "a Promotion runs: wait",
			st: v1.StageStatus{FreightHistory: holding(f2), LastStableFreight: stable, CurrentPromotion: &v1.PromotionReference{Name: "p"},
				Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, 5*time.Minute)}}},
		{name: "a Promotion is queued: wait",
			st: v1.StageStatus{FreightHistory: holding(f2), LastStableFreight: stable, Queued: []v1.PromotionReference{{Name: "p"}},
				Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, 5*time.Minute)}}},
		{name: "older than maxAge: skipped",
			st:      v1.StageStatus{FreightHistory: holding(f2), LastStableFreight: stable, Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, 21*time.Minute)}},
			skipped: map[string]string{"v-f2": "the failure is older than maxAge 20m0s"}},
		{name: "the Stage took other Freight since: skipped",
			st: v1.StageStatus{FreightHistory: holding(v1.StageHistoryEntry{Freight: "f3", Origin: origin, Promotion: "p-f3", Since: at(-time.Minute)}, f2),
				LastStableFreight: stable, Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, 5*time.Minute)}},
			skipped: map[string]string{"v-f2": "the Stage took other Freight of Warehouse/app since"}},
		{name: "a Promotion of the origin succeeded after a failed one: skipped",
			st: v1.StageStatus{FreightHistory: holding(f2), LastStableFreight: stable,
				Deviations: []v1.StageDeviation{dev("p-f3", "f3", origin, 45*time.Minute, failedPromotion)}},
			skipped: map[string]string{"p-f3": "the Stage took other Freight of Warehouse/app since"}},
		{name: "a failed Promotion: roll back though the Stage still records the stable Freight",
			st: v1.StageStatus{FreightHistory: holding(v1.StageHistoryEntry{Freight: "f1", Origin: origin, Promotion: "p-f1", Since: at(-time.Hour)}),
				LastStableFreight: stable, Deviations: []v1.StageDeviation{dev("p-f3", "f3", origin, 5*time.Minute, failedPromotion)}},
			wantTo: "f1", wantFrom: "p-f3"},
		{name: "never a rollback of a rollback",
			st:      v1.StageStatus{FreightHistory: holding(f2), LastStableFreight: stable, Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, time.Minute, byRollback)}},
			skipped: map[string]string{"v-f2": "the Freight was delivered by a rollback, and a rollback is never rolled back"}},
		{name: "a person's hold on the origin: skipped",
			st: v1.StageStatus{FreightHistory: holding(f2), LastStableFreight: stable, Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, time.Minute)},
				AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/app": {FreightName: "f2", PromotionName: "p-f2"}}},
			skipped: map[string]string{"v-f2": "auto-promotion of Warehouse/app is held by Promotion p-f2: a person decides"}},
		{name: "no stable Freight: skipped",
			st:      v1.StageStatus{FreightHistory: holding(f2), Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, time.Minute)}},
			skipped: map[string]string{"v-f2": "no other Freight of Warehouse/app was verified in the Stage to return to"}},
		{name: "the failed Freight is the stable one: skipped",
			st: v1.StageStatus{FreightHistory: holding(f2), LastStableFreight: map[string]v1.StableFreight{"Warehouse/app": {Freight: "f2"}},
				Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, time.Minute)}},
			skipped: map[string]string{"v-f2": "no other Freight of Warehouse/app was verified in the Stage to return to"}},
		{name: "the stable Freight is rejected: skipped",
			st:       v1.StageStatus{FreightHistory: holding(f2), LastStableFreight: stable, Deviations: []v1.StageDeviation{dev("v-f2", "f2", origin, time.Minute)}},
			rejected: map[string]string{"f1": "rejected by ana: CVE"},
			skipped:  map[string]string{"v-f2": "the stable Freight f1 may not be promoted: rejected by ana: CVE"}},
		{name: "two origins: the one that deviated first rolls back first, the other waits",
			st: v1.StageStatus{FreightHistory: holding(d2, f2), LastStableFreight: stable,
				Deviations: []v1.StageDeviation{dev("v-d2", "d2", other, 8*time.Minute), dev("v-f2", "f2", origin, 5*time.Minute)}},
			wantTo: "d1", wantFrom: "v-d2"},
		{name: "two origins: a skipped first deviation lets the second start",
			st: v1.StageStatus{FreightHistory: holding(d2, f2), LastStableFreight: stable,
				Deviations: []v1.StageDeviation{dev("v-d2", "d2", other, 30*time.Minute), dev("v-f2", "f2", origin, 5*time.Minute)}},
			wantTo: "f1", wantFrom: "v-f2", skipped: map[string]string{"v-d2": "the failure is older than maxAge 20m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rejected func(string) string
			if tt.rejected != nil {
				rejected = func(f string) string { return tt.rejected[f] }
			}
			r := stage.NextRollback(&tt.st, now, maxAge, rejected)
			var gotTo, gotFrom string
			if r.Start != nil {
				gotTo, gotFrom = r.To.Freight, r.Start.Promotion
			}
			if gotTo != tt.wantTo || gotFrom != tt.wantFrom {
				t.Errorf("NextRollback() starts %q for %q; want %q for %q", gotTo, gotFrom, tt.wantTo, tt.wantFrom)
			}
			got := map[string]string{}
			for _, s := range r.Skipped {
				got[s.Deviation.Promotion] = s.Why
			}
			if tt.skipped == nil {
				tt.skipped = map[string]string{}
			}
			if diff := cmp.Diff(tt.skipped, got); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}

func TestForgetDeviation(t *testing.T) {
	st := v1.StageStatus{Deviations: []v1.StageDeviation{{Promotion: "a"}, {Promotion: "b"}}}
	if !stage.ForgetDeviation(&st, "a") || stage.ForgetDeviation(&st, "a") {
		t.Fatal("ForgetDeviation(a) twice: want true, then false")
	}
	if !stage.ForgetDeviation(&st, "b") || st.Deviations != nil {
		t.Errorf("after forgetting both, Deviations = %v, want nil", st.Deviations)
	}
}

func TestReceiveMarksRollbacks(t *testing.T) {
	var st v1.StageStatus
	stage.Receive(&st, promo("r", "f1", v1.PhaseSucceeded, rolledBack), 1, now)
	stage.Receive(&st, promo("p", "f2", v1.PhaseSucceeded), 1, now)
	if st.FreightHistory[1].Rollback != true || st.FreightHistory[0].Rollback {
		t.Errorf("history rollback marks = %v, %v; want true for the rollback only", st.FreightHistory[1].Rollback, st.FreightHistory[0].Rollback)
	}
}
