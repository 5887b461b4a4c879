package stage_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/stage"
)

func TestEnqueue(t *testing.T) {
	classed := func(name, freight, class string) v1.PromotionReference {
		return v1.PromotionReference{Name: name, Freight: freight, Class: class}
	}
	verify, rollback, manual, auto := v1.ClassVerification, v1.ClassRollback, v1.ClassManual, v1.ClassAuto
	mixed := []v1.PromotionReference{classed("v1", "f1", verify), classed("r1", "f0", rollback), classed("m1", "f2", manual), ref("m0", "f2"), classed("a1", "f4", auto)}
	tests := []struct {
		name    string
		st      v1.StageStatus
		class   string
		want    v1.StageStatus
		changed bool
	}{
		{
			name: "to an empty queue", changed: true, class: manual,
			want: v1.StageStatus{Queued: []v1.PromotionReference{classed("p3", "f3", manual)}},
		},
		{
			name:    "at the end of its class: creation order",
			st:      v1.StageStatus{Queued: []v1.PromotionReference{classed("p1", "f1", auto), classed("p2", "f2", auto)}},
			class:   auto,
			changed: true,
			want:    v1.StageStatus{Queued: []v1.PromotionReference{classed("p1", "f1", auto), classed("p2", "f2", auto), classed("p3", "f3", auto)}},
		},
		{
			name:    "a verification run goes before everything but other verification runs (Kargo #7032)",
			st:      v1.StageStatus{Queued: mixed},
			class:   verify,
			changed: true,
			want:    v1.StageStatus{Queued: []v1.PromotionReference{mixed[0], classed("p3", "f3", verify), mixed[1], mixed[2], mixed[3], mixed[4]}},
		},
		{
			name:    "a rollback goes before manual and automatic Promotions",
			st:      v1.StageStatus{Queued: mixed},
			class:   rollback,
			changed: true,
			want:    v1.StageStatus{Queued: []v1.PromotionReference{mixed[0], mixed[1], classed("p3", "f3", rollback), mixed[2], mixed[3], mixed[4]}},
		},
		{
			name:    "a manual Promotion goes before automatic ones; unclassed ones count as manual",
			st:      v1.StageStatus{Queued: mixed},
			class:   manual,
			changed: true,
			want:    v1.StageStatus{Queued: []v1.PromotionReference{mixed[0], mixed[1], mixed[2], mixed[3], classed("p3", "f3", manual), mixed[4]}},
		},
		{
			name:    "an automatic Promotion goes last",
			st:      v1.StageStatus{Queued: mixed},
			class:   auto,
			changed: true,
			want:    v1.StageStatus{Queued: append(slices.Clone(mixed), classed("p3", "f3", auto))},
		},
		{
			name: "queued already: once",
			st:   v1.StageStatus{Queued: []v1.PromotionReference{ref("p3", "f3")}},
			want: v1.StageStatus{Queued: []v1.PromotionReference{ref("p3", "f3")}},
		},
		{
			name: "running already: once",
			st:   v1.StageStatus{CurrentPromotion: &v1.PromotionReference{Name: "p3", Freight: "f3"}},
			want: v1.StageStatus{CurrentPromotion: &v1.PromotionReference{Name: "p3", Freight: "f3"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			st.Queued = slices.Clone(st.Queued)
			if got := stage.Enqueue(&st, classed("p3", "f3", tt.class)); got != tt.changed {
				t.Errorf("Enqueue() = %v, want %v", got, tt.changed)
			}
			if diff := cmp.Diff(tt.want, st); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		p    *v1.Promotion
		want string
	}{
		{promo("v", "f1", v1.PhasePending, verificationRun), v1.ClassVerification},
		{promo("r", "f1", v1.PhasePending, rolledBack, annotated(v1.AnnotationCreateActor, v1.ActorAutoRollback)), v1.ClassRollback},
		{promo("a", "f1", v1.PhasePending, byAuto), v1.ClassAuto},
		{promo("m", "f1", v1.PhasePending, byAna), v1.ClassManual},
		{promo("m", "f1", v1.PhasePending), v1.ClassManual},
	}
	for _, tt := range tests {
		if got := stage.ClassOf(tt.p); got != tt.want {
			t.Errorf("ClassOf(%s) = %q, want %q", tt.p.Metadata.Name, got, tt.want)
		}
	}
}

func TestClaim(t *testing.T) {
	running := &v1.PromotionReference{Name: "p0", Freight: "f0"}
	tests := []struct {
		name    string
		st      v1.StageStatus
		want    v1.StageStatus
		claimed bool
	}{
		{
			name:    "the head starts when nothing runs, and the Stage no longer waits",
			st:      v1.StageStatus{Queued: []v1.PromotionReference{ref("p1", "f1"), ref("p2", "f2")}, Waiting: "paused"},
			claimed: true,
			want:    v1.StageStatus{CurrentPromotion: &v1.PromotionReference{Name: "p1", Freight: "f1"}, Queued: []v1.PromotionReference{ref("p2", "f2")}},
		},
		{
			name: "at most one Promotion runs per Stage",
			st:   v1.StageStatus{CurrentPromotion: running, Queued: []v1.PromotionReference{ref("p1", "f1")}},
			want: v1.StageStatus{CurrentPromotion: running, Queued: []v1.PromotionReference{ref("p1", "f1")}},
		},
		{
			name: "the queue changed meanwhile: another head",
			st:   v1.StageStatus{Queued: []v1.PromotionReference{ref("p9", "f9"), ref("p1", "f1")}},
			want: v1.StageStatus{Queued: []v1.PromotionReference{ref("p9", "f9"), ref("p1", "f1")}},
		},
		{name: "the queue emptied meanwhile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			if got := stage.Claim(&st, "p1"); got != tt.claimed {
				t.Errorf("Claim() = %v, want %v", got, tt.claimed)
			}
			if diff := cmp.Diff(tt.want, st); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReleaseAndEnd(t *testing.T) {
	tests := []struct {
		name    string
		st      v1.StageStatus
		p       *v1.Promotion
		want    v1.StageStatus
		changed bool
	}{
		{
			name:    "a failed Promotion leaves the current slot and is the last",
			st:      v1.StageStatus{CurrentPromotion: &v1.PromotionReference{Name: "p1", Freight: "f1"}, Queued: []v1.PromotionReference{ref("p2", "f2")}},
			p:       promo("p1", "f1", v1.PhaseFailed),
			changed: true,
			want: v1.StageStatus{Queued: []v1.PromotionReference{ref("p2", "f2")},
				LastPromotion: &v1.PromotionReference{Name: "p1", Freight: "f1", Phase: v1.PhaseFailed}},
		},
		{
			name:    "a Promotion aborted while queued leaves the queue",
			st:      v1.StageStatus{Queued: []v1.PromotionReference{ref("p1", "f1"), ref("p2", "f2")}},
			p:       promo("p1", "f1", v1.PhaseAborted),
			changed: true,
			want: v1.StageStatus{Queued: []v1.PromotionReference{ref("p2", "f2")},
				LastPromotion: &v1.PromotionReference{Name: "p1", Freight: "f1", Phase: v1.PhaseAborted}},
		},
		{
			name:    "a superseded Promotion leaves the queue and is not the last: it never ran; it is the last discarded",
			st:      v1.StageStatus{Queued: []v1.PromotionReference{ref("p1", "f1"), ref("p2", "f2")}, LastPromotion: &v1.PromotionReference{Name: "p0", Freight: "f0", Phase: v1.PhaseSucceeded}},
			p:       promo("p1", "f1", v1.PhaseSuperseded),
			changed: true,
			want: v1.StageStatus{Queued: []v1.PromotionReference{ref("p2", "f2")},
				LastPromotion: &v1.PromotionReference{Name: "p0", Freight: "f0", Phase: v1.PhaseSucceeded},
				LastDiscarded: &v1.PromotionReference{Name: "p1", Freight: "f1", Phase: v1.PhaseSuperseded}},
		},
		{
			name: "a superseded Promotion no longer queued changes nothing",
			st:   v1.StageStatus{Queued: []v1.PromotionReference{ref("p2", "f2")}},
			p:    promo("p1", "f1", v1.PhaseSuperseded),
			want: v1.StageStatus{Queued: []v1.PromotionReference{ref("p2", "f2")}},
		},
		{
			name:    "the first success gives the Stage a summary",
			st:      v1.StageStatus{CurrentPromotion: &v1.PromotionReference{Name: "p1", Freight: "f1"}},
			p:       promo("p1", "f1", v1.PhaseSucceeded),
			changed: true,
			want:    v1.StageStatus{LastPromotion: &v1.PromotionReference{Name: "p1", Freight: "f1", Phase: v1.PhaseSucceeded}, FreightSummary: "f1"},
		},
		{
			name:    "a summary is kept: Receive refines it per origin",
			st:      v1.StageStatus{FreightSummary: "1/2 Fulfilled"},
			p:       promo("p1", "f1", v1.PhaseSucceeded),
			changed: true,
			want:    v1.StageStatus{LastPromotion: &v1.PromotionReference{Name: "p1", Freight: "f1", Phase: v1.PhaseSucceeded}, FreightSummary: "1/2 Fulfilled"},
		},
		{
			name: "recorded already: nothing changes",
			st:   v1.StageStatus{LastPromotion: &v1.PromotionReference{Name: "p1", Freight: "f1", Phase: v1.PhaseFailed}},
			p:    promo("p1", "f1", v1.PhaseFailed),
			want: v1.StageStatus{LastPromotion: &v1.PromotionReference{Name: "p1", Freight: "f1", Phase: v1.PhaseFailed}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			if got := stage.End(&st, tt.p); got != tt.changed {
				t.Errorf("End() = %v, want %v", got, tt.changed)
			}
			if diff := cmp.Diff(tt.want, st); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("release of a Promotion the Stage does not name changes nothing", func(t *testing.T) {
		st := v1.StageStatus{Queued: []v1.PromotionReference{ref("p2", "f2")}}
		if stage.Release(&st, "p1") {
			t.Error("Release() = true, want false")
		}
	})
}

func TestDiscarded(t *testing.T) {
	st := v1.StageStatus{CurrentPromotion: &v1.PromotionReference{Name: "p0", Freight: "f0"}, Queued: []v1.PromotionReference{ref("p1", "f1"), ref("p2", "f2")},
		LastPromotion: &v1.PromotionReference{Name: "pa", Freight: "f1", Phase: v1.PhaseSucceeded}}
	if !stage.Discarded(&st, promo("p1", "f1", v1.PhaseAborted)) {
		t.Fatal("Discarded(p1) = false, want true: it was queued")
	}
	want := v1.StageStatus{CurrentPromotion: &v1.PromotionReference{Name: "p0", Freight: "f0"}, Queued: []v1.PromotionReference{ref("p2", "f2")},
		LastPromotion: &v1.PromotionReference{Name: "pa", Freight: "f1", Phase: v1.PhaseSucceeded},
		LastDiscarded: &v1.PromotionReference{Name: "p1", Freight: "f1", Phase: v1.PhaseAborted}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if stage.Discarded(&st, promo("p1", "f1", v1.PhaseAborted)) {
		t.Error("Discarded(p1) again = true, want false")
	}
	if !stage.Wanted(&st, origin, "f1") {
		t.Error("Wanted(f1) = false after its Promotion was discarded, want true: it never ran")
	}
}

func TestSetWaiting(t *testing.T) {
	st := v1.StageStatus{}
	if !stage.SetWaiting(&st, "paused") || st.Waiting != "paused" {
		t.Errorf("SetWaiting(paused) left %q", st.Waiting)
	}
	if stage.SetWaiting(&st, "paused") {
		t.Error("SetWaiting with the same reason reported a change")
	}
	if !stage.SetWaiting(&st, "") || st.Waiting != "" {
		t.Errorf("SetWaiting(\"\") left %q", st.Waiting)
	}
}

func TestBlocked(t *testing.T) {
	// Monday 12:00 UTC: inside a deny window until 13:00, outside office hours at 18:00.
	deny := v1.PromotionWindow{Name: "lunch", Kind: "deny", Schedule: "0 11 * * *", Duration: "2h"}
	office := v1.PromotionWindow{Name: "office", Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h"}
	paused := &v1.StagePaused{By: "ana", Reason: "release freeze", At: at(-time.Hour)}
	tests := []struct {
		name       string
		st         v1.StageStatus
		p          *v1.Promotion
		at         time.Time
		windows    []v1.PromotionWindow
		windowsErr error
		want       stage.Wait
		wantPrefix bool // want.Why is the start of the reason
		wantErr    error
		noWindows  bool // the windows must not be read
	}{
		{name: "nothing blocks", p: promo("p1", "f1", v1.PhasePending), at: now},
		{name: "a Promotion that is gone is released, not blocked", at: now, st: v1.StageStatus{Paused: paused}, noWindows: true},
		{name: "a finished (aborted) Promotion is released, not blocked", p: promo("p1", "f1", v1.PhaseAborted), at: now,
			st: v1.StageStatus{Paused: paused}, noWindows: true},
		{name: "a verification run is never blocked, not even by a pause", p: promo("p1", "f1", v1.PhasePending, verificationRun), at: now,
			st: v1.StageStatus{Paused: paused}, windows: []v1.PromotionWindow{deny}, noWindows: true},
		{
			name: "paused: says by whom, why and how to resume", p: promo("p1", "f1", v1.PhasePending), at: now,
			st:        v1.StageStatus{Paused: paused},
			want:      stage.Wait{Why: "paused by ana: release freeze; dray resume prod lets its Promotions start"},
			noWindows: true,
		},
		{
			name: "paused by nobody named, for no reason", p: promo("p1", "f1", v1.PhasePending), at: now,
			st:        v1.StageStatus{Paused: &v1.StagePaused{}},
			want:      stage.Wait{Why: "paused; dray resume prod lets its Promotions start"},
			noWindows: true,
		},
		{
			name: "a pause blocks even a window override", p: promo("p1", "f1", v1.PhasePending, overridden), at: now,
			st:        v1.StageStatus{Paused: &v1.StagePaused{By: "ana"}},
			want:      stage.Wait{Why: "paused by ana; dray resume prod lets its Promotions start"},
			noWindows: true,
		},
		{
			name: "a deny window blocks until it closes", p: promo("p1", "f1", v1.PhasePending), at: now,
			windows: []v1.PromotionWindow{deny},
			want: stage.Wait{Why: `Promotion p1 waits: deny window "lunch" is open until 2026-11-23T13:00:00Z`,
				Until: time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)},
		},
		{
			name: "outside every allow window it waits for the next", p: promo("p1", "f1", v1.PhasePending),
			at: time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC), windows: []v1.PromotionWindow{office},
			want: stage.Wait{Why: "Promotion p1 waits: no allow window is open; the next opens at 2026-11-24T09:00:00Z",
				Until: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)},
		},
		{name: "a scheduled Promotion waits for its time", p: promo("p1", "f1", v1.PhasePending, annotated(v1.AnnotationPromoteAfter, "2026-11-23T14:00:00Z")),
			at: now, noWindows: true,
			want: stage.Wait{Why: "Promotion p1 is scheduled for 2026-11-23T14:00:00Z", Until: time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)}},
		{name: "a scheduled Promotion whose time came asks the windows", p: promo("p1", "f1", v1.PhasePending, annotated(v1.AnnotationPromoteAfter, "2026-11-23T11:00:00Z")),
			at: now, windows: []v1.PromotionWindow{deny},
			want: stage.Wait{Why: `Promotion p1 waits: deny window "lunch" is open until 2026-11-23T13:00:00Z`,
				Until: time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)}},
		{name: "a window override does not skip the schedule", p: promo("p1", "f1", v1.PhasePending, overridden, annotated(v1.AnnotationPromoteAfter, "2026-11-23T14:00:00Z")),
			at: now, noWindows: true,
			want: stage.Wait{Why: "Promotion p1 is scheduled for 2026-11-23T14:00:00Z", Until: time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)}},
		{name: "a schedule that cannot be read says so, naming the annotation", p: promo("p1", "f1", v1.PhasePending, annotated(v1.AnnotationPromoteAfter, "tomorrow")),
			at: now, noWindows: true,
			want: stage.Wait{Why: `Promotion p1 waits: annotation kargo.akuity.io/promote-after: "tomorrow" is not an RFC 3339 time; abort it and promote again`}},
		{name: "inside an allow window it starts", p: promo("p1", "f1", v1.PhasePending), at: now, windows: []v1.PromotionWindow{office}},
		{name: "a window override starts it in a closed window", p: promo("p1", "f1", v1.PhasePending, overridden), at: now,
			windows: []v1.PromotionWindow{deny}, noWindows: true},
		{
			name: "an invalid window blocks the queue, naming it", p: promo("p1", "f1", v1.PhasePending), at: now,
			windows:    []v1.PromotionWindow{{Name: "bad", Kind: "deny", Schedule: "every day", Duration: "1h"}},
			want:       stage.Wait{Why: "Promotions wait: promotionWindows[0] bad: "},
			wantPrefix: true,
		},
		{name: "an error reading the windows is returned", p: promo("p1", "f1", v1.PhasePending), at: now,
			windowsErr: errors.New("bucket unavailable"), wantErr: errors.New("bucket unavailable")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := false
			got, err := stage.Blocked("prod", &tt.st, tt.p, tt.at, func() ([]v1.PromotionWindow, error) {
				read = true
				return tt.windows, tt.windowsErr
			})
			if (err == nil) != (tt.wantErr == nil) || err != nil && err.Error() != tt.wantErr.Error() {
				t.Fatalf("Blocked() error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantPrefix {
				if !strings.HasPrefix(got.Why, tt.want.Why) || len(got.Why) == len(tt.want.Why) || !got.Until.IsZero() {
					t.Errorf("Blocked() = %+v, want a reason starting %q and no time", got, tt.want.Why)
				}
			} else if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Blocked() (-want +got):\n%s", diff)
			}
			if tt.noWindows && read {
				t.Error("the windows were read, though they cannot change the answer")
			}
		})
	}
}

func TestRefused(t *testing.T) {
	rejected := freight("f2", 0)
	rejected.Status.RejectedFor = map[string]v1.FreightRejection{"prod": {By: "ana", Reason: "CVE"}}
	elsewhere := freight("f2", 0)
	elsewhere.Status.RejectedFor = map[string]v1.FreightRejection{"uat": {By: "ana"}}
	tests := []struct {
		name string
		p    *v1.Promotion
		f    *v1.Freight
		want string
	}{
		{"rejected for the Stage since it was queued", promo("p", "f2", v1.PhasePending), &rejected,
			"not started: Freight f2 is rejected by ana: CVE; dray reject f2 --undo --stage prod lets it be promoted"},
		{"rejected for another Stage", promo("p", "f2", v1.PhasePending), &elsewhere, ""},
		{"a verification run always runs", promo("v", "f2", v1.PhasePending, verificationRun), &rejected, ""},
		{"the Freight is gone", promo("p", "f2", v1.PhasePending), nil, ""},
		{"the Promotion ended already", promo("p", "f2", v1.PhaseAborted), &rejected, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stage.Refused(tt.p, tt.f); got != tt.want {
				t.Errorf("Refused() = %q, want %q", got, tt.want)
			}
		})
	}
}
