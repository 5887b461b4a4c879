package stage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/stage"
)

func entry(freight string, o v1.FreightOrigin, promotion string, since time.Duration) v1.StageHistoryEntry {
	return v1.StageHistoryEntry{Freight: freight, Origin: o, Promotion: promotion, Since: at(since)}
}

func TestReceive(t *testing.T) {
	arrived := now
	p := promo("p2", "f2", v1.PhaseSucceeded, byAna)
	p.Status.Freight.Alias = "frosty-fox"
	newEntry := v1.StageHistoryEntry{Freight: "f2", Origin: origin, Alias: "frosty-fox", Promotion: "p2", Actor: "ana", Since: &arrived}
	var full []v1.StageHistoryEntry
	for i := range v1.MaxStageHistory {
		full = append(full, entry(fmt.Sprintf("old%d", i), origin, fmt.Sprintf("q%d", i), -time.Duration(i+1)*time.Hour))
	}
	tests := []struct {
		name         string
		st           v1.StageStatus
		requested    int
		want         v1.StageStatus
		wantPrevious string
		changed      bool
	}{
		{
			name: "the first Freight: the summary is its name", requested: 1, changed: true,
			st:   v1.StageStatus{Verification: "verification prod.x failed"},
			want: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{newEntry}, FreightSummary: "f2"},
		},
		{
			name: "it replaces the Freight of its origin, newest first", requested: 1, changed: true,
			st: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{entry("f1", origin, "p1", -time.Hour)}},
			want: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{newEntry, entry("f1", origin, "p1", -time.Hour)},
				FreightSummary: "f2"},
			wantPrevious: "f1",
		},
		{
			name: "two origins: the other origin's Freight stays, and the summary counts", requested: 2, changed: true,
			st: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{entry("d1", other, "p1", -time.Hour)}},
			want: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{newEntry, entry("d1", other, "p1", -time.Hour)},
				FreightSummary: "2/2 Fulfilled"},
		},
		{
			name: "one of two origins fulfilled", requested: 2, changed: true,
			want: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{newEntry}, FreightSummary: "1/2 Fulfilled"},
		},
		{
			name: "the history keeps the newest entries", requested: 1, changed: true,
			st:           v1.StageStatus{FreightHistory: full},
			want:         v1.StageStatus{FreightHistory: append([]v1.StageHistoryEntry{newEntry}, full[:v1.MaxStageHistory-1]...), FreightSummary: "f2"},
			wantPrevious: "old0",
		},
		{
			name: "recorded before a crash: nothing changes, and previous is still what it replaced", requested: 1,
			st:           v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{newEntry, entry("f1", origin, "p1", -time.Hour)}, FreightSummary: "f2"},
			want:         v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{newEntry, entry("f1", origin, "p1", -time.Hour)}, FreightSummary: "f2"},
			wantPrevious: "f1",
		},
		{
			name: "history without origins (recorded before they were) matches any origin", requested: 1, changed: true,
			st: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{entry("f1", v1.FreightOrigin{}, "p1", -time.Hour)}},
			want: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{newEntry, entry("f1", v1.FreightOrigin{}, "p1", -time.Hour)},
				FreightSummary: "f2"},
			wantPrevious: "f1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			previous, changed := stage.Receive(&st, p, tt.requested, arrived)
			if previous != tt.wantPrevious || changed != tt.changed {
				t.Errorf("Receive() = %q, %v; want %q, %v", previous, changed, tt.wantPrevious, tt.changed)
			}
			if diff := cmp.Diff(tt.want, st); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArrivalAndRequested(t *testing.T) {
	if got := stage.Arrival(promo("p", "f", v1.PhaseSucceeded), now.Add(time.Hour)); !got.Equal(now) {
		t.Errorf("Arrival of a finished Promotion = %v, want its end %v", got, now)
	}
	if got := stage.Arrival(promo("p", "f", v1.PhaseRunning), now.Add(time.Hour)); !got.Equal(now.Add(time.Hour)) {
		t.Errorf("Arrival without an end = %v, want now", got)
	}
	two := stageSpec(v1.FreightSources{Direct: true})
	two.Spec.RequestedFreight = append(two.Spec.RequestedFreight, v1.FreightRequest{Origin: other})
	for _, tt := range []struct {
		s    *v1.Stage
		want int
	}{{nil, 1}, {&v1.Stage{}, 1}, {stageSpec(v1.FreightSources{Direct: true}), 1}, {two, 2}} {
		if got := stage.Requested(tt.s); got != tt.want {
			t.Errorf("Requested(%d origins) = %d, want %d", func() int {
				if tt.s == nil {
					return -1
				}
				return len(tt.s.Spec.RequestedFreight)
			}(), got, tt.want)
		}
	}
}

func TestLeaveAndArrive(t *testing.T) {
	tests := []struct {
		name    string
		fs      v1.FreightStatus
		leave   bool
		want    v1.FreightStatus
		changed bool
	}{
		{
			name: "arrive: currently in the Stage from then", changed: true,
			want: v1.FreightStatus{CurrentlyIn: map[string]v1.CurrentStage{"prod": {Since: at(0)}}},
		},
		{
			name: "arrive again: its time there runs from its first arrival",
			fs:   v1.FreightStatus{CurrentlyIn: map[string]v1.CurrentStage{"prod": {Since: at(-time.Hour)}}},
			want: v1.FreightStatus{CurrentlyIn: map[string]v1.CurrentStage{"prod": {Since: at(-time.Hour)}}},
		},
		{
			name: "leave, verified: the time there is its longest soak", leave: true, changed: true,
			fs: v1.FreightStatus{CurrentlyIn: map[string]v1.CurrentStage{"prod": {Since: at(-90 * time.Minute)}},
				VerifiedIn: map[string]v1.VerifiedStage{"prod": {VerifiedAt: at(-time.Hour), LongestSoak: "1h"}}},
			want: v1.FreightStatus{CurrentlyIn: map[string]v1.CurrentStage{},
				VerifiedIn: map[string]v1.VerifiedStage{"prod": {VerifiedAt: at(-time.Hour), LongestSoak: "1h30m0s"}}},
		},
		{
			name: "leave after a shorter stay: the longest soak stays", leave: true, changed: true,
			fs: v1.FreightStatus{CurrentlyIn: map[string]v1.CurrentStage{"prod": {Since: at(-10 * time.Minute)}},
				VerifiedIn: map[string]v1.VerifiedStage{"prod": {VerifiedAt: at(-time.Minute), LongestSoak: "1h"}}},
			want: v1.FreightStatus{CurrentlyIn: map[string]v1.CurrentStage{},
				VerifiedIn: map[string]v1.VerifiedStage{"prod": {VerifiedAt: at(-time.Minute), LongestSoak: "1h"}}},
		},
		{
			name: "leave, not verified there: no soak counts", leave: true, changed: true,
			fs:   v1.FreightStatus{CurrentlyIn: map[string]v1.CurrentStage{"prod": {Since: at(-time.Hour)}, "qa": {Since: at(-2 * time.Hour)}}},
			want: v1.FreightStatus{CurrentlyIn: map[string]v1.CurrentStage{"qa": {Since: at(-2 * time.Hour)}}},
		},
		{name: "leave a Stage it is not in", leave: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := tt.fs
			var changed bool
			if tt.leave {
				changed = stage.Leave(&fs, "prod", now)
			} else {
				changed = stage.Arrive(&fs, "prod", now)
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if diff := cmp.Diff(tt.want, fs); diff != "" {
				t.Errorf("freight status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	history := []v1.StageHistoryEntry{entry("f2", origin, "p2", 0), entry("f1", origin, "p1", -time.Hour), entry("d1", other, "p0", -2*time.Hour)}
	tests := []struct {
		name      string
		history   []v1.StageHistoryEntry
		requested int
		want      string
	}{
		{"one origin: the newest Freight", history[:2], 1, "f2"},
		{"none yet", nil, 1, "0/1 Fulfilled"},
		{"two origins, both held", history, 2, "2/2 Fulfilled"},
		{"two origins, one held", history[:2], 2, "1/2 Fulfilled"},
		{"more held than requested (a request removed)", history, 1, "f2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stage.Summary(tt.history, tt.requested); got != tt.want {
				t.Errorf("Summary() = %q, want %q", got, tt.want)
			}
		})
	}
}
