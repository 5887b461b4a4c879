package stage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/stage"
)

func TestAutoPromotion(t *testing.T) {
	fromQA := v1.FreightSources{Stages: []string{"qa"}}
	soaking := v1.FreightSources{Stages: []string{"qa"}, RequiredSoakTime: "1h"}
	matchUp := v1.FreightSources{Stages: []string{"qa"}, AutoPromotionOptions: &v1.AutoPromotionOptions{SelectionPolicy: v1.SelectMatchUpstream}}
	status := func(st v1.StageStatus) func(*v1.Stage) { return func(s *v1.Stage) { s.Status = st } }
	holding := func(freight, promotion string) []v1.StageHistoryEntry {
		return []v1.StageHistoryEntry{entry(freight, origin, promotion, -time.Hour)}
	}
	tests := []struct {
		name    string
		s       *v1.Stage
		freight []v1.Freight
		want    string // the candidate's name, "" for none
		wantID  string
		wantBy  string
		wakeAt  time.Time
	}{
		{name: "the newest available Freight", s: stageSpec(fromQA),
			freight: []v1.Freight{freight("f1", -2*time.Hour, "qa"), freight("f2", -time.Hour, "qa"), freight("f3", 0)},
			want:    "f2", wantID: "auto/prod/f2"},
		{name: "ties by discovery: the name that sorts last", s: stageSpec(fromQA),
			freight: []v1.Freight{freight("fa", 0, "qa"), freight("fb", 0, "qa")}, want: "fb", wantID: "auto/prod/fb"},
		{name: "the ID follows the Freight the Stage holds", s: stageSpec(fromQA, status(v1.StageStatus{FreightHistory: holding("f1", "p1")})),
			freight: []v1.Freight{freight("f1", -2*time.Hour, "qa"), freight("f2", -time.Hour, "qa")}, want: "f2", wantID: "auto/prod/f2/after/p1"},
		{name: "none available", s: stageSpec(fromQA), freight: []v1.Freight{freight("f1", 0)}},
		{name: "held: nothing, not even a soak timer", s: stageSpec(soaking, status(v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{
			"Warehouse/app": {PromotionName: "p1"}}})), freight: []v1.Freight{freight("f1", 0, "qa@-30m"), freight("f0", -time.Hour, "qa@-2h")}, wantBy: "p1"},
		{name: "a hold of another origin does not hold this one", s: stageSpec(fromQA, status(v1.StageStatus{AutoPromotionHolds: map[string]v1.AutoPromotionHold{
			"Warehouse/db": {PromotionName: "p1"}}})), freight: []v1.Freight{freight("f1", 0, "qa")}, want: "f1", wantID: "auto/prod/f1"},
		{name: "already in the Stage", s: stageSpec(fromQA, status(v1.StageStatus{FreightHistory: holding("f1", "p1")})),
			freight: []v1.Freight{freight("f1", 0, "qa")}},
		{name: "already running there", s: stageSpec(fromQA, status(v1.StageStatus{CurrentPromotion: &v1.PromotionReference{Name: "p2", Freight: "f1"}})),
			freight: []v1.Freight{freight("f1", 0, "qa")}},
		{name: "already queued there", s: stageSpec(fromQA, status(v1.StageStatus{Queued: []v1.PromotionReference{ref("p2", "f1")}})),
			freight: []v1.Freight{freight("f1", 0, "qa")}},
		{name: "its last Promotion there failed: a person must promote it",
			s:       stageSpec(fromQA, status(v1.StageStatus{LastPromotion: &v1.PromotionReference{Name: "p2", Freight: "f1", Phase: v1.PhaseFailed}})),
			freight: []v1.Freight{freight("f1", 0, "qa")}},
		{name: "its last Promotion there succeeded (and it left since): promote again",
			s: stageSpec(fromQA, status(v1.StageStatus{LastPromotion: &v1.PromotionReference{Name: "p2", Freight: "f1", Phase: v1.PhaseSucceeded},
				FreightHistory: holding("f0", "p3")})),
			freight: []v1.Freight{freight("f1", 0, "qa")}, want: "f1", wantID: "auto/prod/f1/after/p3"},
		{name: "its last Promotion there was aborted by a person: not again (as Kargo)",
			s:       stageSpec(fromQA, status(v1.StageStatus{LastPromotion: &v1.PromotionReference{Name: "p2", Freight: "f1", Phase: v1.PhaseAborted}})),
			freight: []v1.Freight{freight("f1", 0, "qa")}},
		{name: "its auto-promotion was discarded: promoted again, under a new name",
			s: stageSpec(fromQA, status(v1.StageStatus{FreightHistory: holding("f0", "p3"),
				LastDiscarded: &v1.PromotionReference{Name: "p4", Freight: "f1", Phase: v1.PhaseAborted}})),
			freight: []v1.Freight{freight("f1", 0, "qa")}, want: "f1", wantID: "auto/prod/f1/after/p3/after/p4"},
		{name: "another Freight's discard does not rename",
			s: stageSpec(fromQA, status(v1.StageStatus{FreightHistory: holding("f0", "p3"),
				LastDiscarded: &v1.PromotionReference{Name: "p4", Freight: "f9", Phase: v1.PhaseSuperseded}})),
			freight: []v1.Freight{freight("f1", 0, "qa")}, want: "f1", wantID: "auto/prod/f1/after/p3"},
		{name: "soaking: nothing yet, and a wake when the first soak ends", s: stageSpec(soaking),
			freight: []v1.Freight{freight("f1", 0, "qa@-30m"), freight("f2", 0, "qa@-45m")}, wakeAt: now.Add(15 * time.Minute)},
		{name: "soaked: promoted", s: stageSpec(soaking), freight: []v1.Freight{freight("f1", 0, "qa@-2h")}, want: "f1", wantID: "auto/prod/f1"},
		{name: "approved Freight bypasses verification and soak", s: stageSpec(soaking), freight: func() []v1.Freight {
			f := freight("f1", 0)
			f.Status.ApprovedFor = map[string]v1.ApprovedStage{"prod": {ApprovedAt: at(0)}}
			return []v1.Freight{f}
		}(), want: "f1", wantID: "auto/prod/f1"},
		{name: "MatchUpstream: the Freight the upstream Stage holds, not the newest", s: stageSpec(matchUp),
			freight: []v1.Freight{freight("f1", -time.Hour, "qa@-1h"), freight("f2", 0, "qa")}, want: "f1", wantID: "auto/prod/f1"},
		{name: "MatchUpstream: upstream transiently holds two, so none", s: stageSpec(matchUp),
			freight: []v1.Freight{freight("f1", -time.Hour, "qa@-1h"), freight("f2", 0, "qa@-1m")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := stage.AutoPromotion(tt.s, origin, tt.freight, now)
			name := ""
			if got.Candidate != nil {
				name = got.Candidate.Metadata.Name
			}
			if name != tt.want || got.ID != tt.wantID || got.HeldBy != tt.wantBy || !got.WakeAt.Equal(tt.wakeAt) {
				t.Errorf("AutoPromotion() = candidate %q, ID %q, held by %q, wake at %v; want %q, %q, %q, %v",
					name, got.ID, got.HeldBy, got.WakeAt, tt.want, tt.wantID, tt.wantBy, tt.wakeAt)
			}
		})
	}
}

func TestWantedAcrossOrigins(t *testing.T) {
	// The Stage holds d1 of another origin, newest; f1 of origin is further down its history.
	st := v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{entry("d1", other, "p2", 0), entry("f1", origin, "p1", -time.Hour)}}
	if stage.Wanted(&st, origin, "f1") {
		t.Error("Wanted(f1) = true, though the Stage holds f1 in origin's slot")
	}
	if !stage.Wanted(&st, origin, "f2") {
		t.Error("Wanted(f2) = false, though the Stage holds f1 in origin's slot")
	}
}

func TestAwaitOpen(t *testing.T) {
	ts := func(d time.Duration) string { return now.Add(d).Format("20060102T150405Z") }
	freeze := []v1.PromotionWindow{{Name: "freeze", Kind: "Deny", DTStart: ts(-time.Hour), DTEnd: ts(time.Hour)}}
	over := []v1.PromotionWindow{{Name: "freeze", Kind: "Deny", DTStart: ts(-2 * time.Hour), DTEnd: ts(-time.Hour)}}
	discarded := &v1.StageStatus{LastDiscarded: &v1.PromotionReference{Name: "p1", Freight: "f1", Phase: v1.PhaseAborted}}
	tests := []struct {
		name    string
		st      *v1.StageStatus
		windows []v1.PromotionWindow
		wait    bool
		until   time.Time
		read    bool
	}{
		{name: "nothing discarded: promote, windows not read", st: &v1.StageStatus{}, windows: freeze},
		{name: "another Freight discarded: promote, windows not read", st: &v1.StageStatus{LastDiscarded: &v1.PromotionReference{Name: "p1", Freight: "f0"}}, windows: freeze},
		{name: "discarded and closed: wait for the opening", st: discarded, windows: freeze, wait: true, until: now.Add(time.Hour), read: true},
		{name: "discarded and open again: promote", st: discarded, windows: over, read: true},
		{name: "an invalid window: promote, the queue holds it", st: discarded, windows: []v1.PromotionWindow{{Name: "bad", Kind: "Deny", RRule: "FREQ=FORTNIGHTLY", DTStart: ts(0)}}, read: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := false
			wait, until, err := stage.AwaitOpen(tt.st, "f1", now, func() ([]v1.PromotionWindow, error) { read = true; return tt.windows, nil })
			if err != nil || wait != tt.wait || !until.Equal(tt.until) || read != tt.read {
				t.Errorf("AwaitOpen() = %v, %v, %v (windows read: %v); want %v, %v, nil (%v)", wait, until, err, read, tt.wait, tt.until, tt.read)
			}
		})
	}
}

func TestSuperseded(t *testing.T) {
	st := v1.StageStatus{Queued: []v1.PromotionReference{ref("p1", "f1"), ref("p2", "f2"), ref("p3", "f1")}}
	if diff := cmp.Diff([]string{"p2"}, stage.Superseded(&st, "f1")); diff != "" {
		t.Errorf("Superseded() (-want +got):\n%s", diff)
	}
}

func TestReverify(t *testing.T) {
	if _, err := stage.Reverify("prod", &v1.StageStatus{}); err == nil || err.Error() != `Stage "prod" holds no Freight to verify` {
		t.Errorf("Reverify() of an empty Stage: error %v", err)
	}
	st := v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{entry("f2", origin, "p2", 0), entry("f1", origin, "p1", -time.Hour)}}
	if got, err := stage.Reverify("prod", &st); got != "f2" || err != nil {
		t.Errorf("Reverify() = %q, %v; want the newest, f2", got, err)
	}
}

func TestRateLimited(t *testing.T) {
	var st v1.StageStatus
	if got := stage.RateLimited(&st, time.Hour, now); !got.IsZero() {
		t.Errorf("RateLimited() with no auto-promotion yet = %v, want none", got)
	}
	if !stage.AutoDispatched(&st, now) || stage.AutoDispatched(&st, now.Add(-time.Minute)) {
		t.Fatal("AutoDispatched(now), then an earlier one: want true, then false (the latest is kept)")
	}
	tests := []struct {
		name     string
		interval time.Duration
		at       time.Time
		want     time.Time
	}{
		{"no limit", 0, now.Add(time.Second), time.Time{}},
		{"within the interval: wait until it has passed", time.Hour, now.Add(10 * time.Minute), now.Add(time.Hour)},
		{"the interval has passed", time.Hour, now.Add(time.Hour), time.Time{}},
	}
	for _, tt := range tests {
		if got := stage.RateLimited(&st, tt.interval, tt.at); !got.Equal(tt.want) {
			t.Errorf("%s: RateLimited() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
