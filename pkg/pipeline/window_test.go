package pipeline_test

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
)

func TestCheckWindows(t *testing.T) {
	// Monday 2026-11-23 12:00 UTC.
	mon := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	freeze := v1.PromotionWindow{Name: "weekend-freeze", Kind: "deny", Schedule: "0 18 * * 5", Duration: "62h"} // Fri 18:00 → Mon 08:00
	office := v1.PromotionWindow{Name: "office", Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h"}        // 09:00–17:00 weekdays
	berlin := v1.PromotionWindow{Name: "office-berlin", Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h", TimeZone: "Europe/Berlin"}
	tests := []struct {
		name      string
		windows   []v1.PromotionWindow
		at        time.Time
		open      bool
		reason    string
		wantUntil time.Time
	}{
		{"no windows", nil, mon, true, "", time.Time{}},
		{"freeze over by Monday noon", []v1.PromotionWindow{freeze}, mon, true, "", time.Time{}},
		{"inside the freeze", []v1.PromotionWindow{freeze}, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), false,
			`deny window "weekend-freeze" is open until 2026-11-23T08:00:00Z`, time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)},
		{"office hours", []v1.PromotionWindow{office}, mon, true, "", time.Time{}},
		{"after office hours", []v1.PromotionWindow{office}, time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC), false,
			"next opens at 2026-11-24T09:00:00Z", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)},
		{"deny wins over allow", []v1.PromotionWindow{office, {Kind: "deny", Schedule: "0 11 23 11 *", Duration: "2h"}}, mon, false,
			"deny window promotionWindows[1] is open until 2026-11-23T13:00:00Z", time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)},
		{"time zone: 17:30 UTC is 18:30 in Berlin, closed", []v1.PromotionWindow{berlin}, time.Date(2026, 11, 23, 16, 30, 0, 0, time.UTC), false,
			"next opens at", time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)},
		{"time zone: 08:30 UTC is 09:30 in Berlin, open", []v1.PromotionWindow{berlin}, time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC), true, "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pipeline.CheckWindows(tt.windows, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if got.Open != tt.open || !strings.Contains(got.Reason, tt.reason) || !got.Until.Equal(tt.wantUntil) {
				t.Errorf("CheckWindows = %+v; want open=%v, reason containing %q, until %v", got, tt.open, tt.reason, tt.wantUntil)
			}
		})
	}
}

func TestWindowErrors(t *testing.T) {
	bad := []v1.PromotionWindow{
		{Kind: "maybe", Schedule: "* * * * *", Duration: "1h"},
		{Kind: "deny", Schedule: "every friday", Duration: "1h"},
		{Kind: "deny", Schedule: "0 18 * * 5", Duration: "all weekend"},
		{Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h", TimeZone: "Mars/Olympus"},
	}
	errs := pipeline.ValidateWindows(bad)
	for i, want := range []string{"kind:", "schedule:", "duration:", "timeZone:"} {
		if i >= len(errs) || !strings.Contains(errs[i].Error(), want) || !strings.Contains(errs[i].Error(), "promotionWindows[") {
			t.Errorf("error %d = %v, want one naming %s", i, errs, want)
		}
	}
	if _, err := pipeline.CheckWindows(bad[1:2], time.Now()); err == nil {
		t.Error("CheckWindows with a bad schedule succeeded")
	}
}

func TestWindowsSelectStages(t *testing.T) {
	cfg := &v1.ProjectConfig{Spec: v1.ProjectConfigSpec{PromotionWindows: []v1.PromotionWindow{
		{Name: "prod-freeze", Kind: "deny", Schedule: "0 0 * * *", Duration: "1h", Stages: &v1.StageSelector{Name: "glob:prod-*"}},
		{Name: "everyone", Kind: "allow", Schedule: "0 0 * * *", Duration: "24h"},
	}}}
	prod := stage("prod-eu", v1.FreightSources{Direct: true})
	prod.Spec.PromotionWindows = []v1.PromotionWindow{{Name: "own", Kind: "deny", Schedule: "0 0 1 1 *", Duration: "1h"}}
	var names []string
	for _, w := range pipeline.Windows(cfg, prod) {
		names = append(names, w.Name)
	}
	if got := strings.Join(names, ","); got != "prod-freeze,everyone,own" {
		t.Errorf("Windows(prod-eu) = %s", got)
	}
	if got := len(pipeline.Windows(cfg, stage("dev", v1.FreightSources{Direct: true}))); got != 1 {
		t.Errorf("Windows(dev) has %d windows, want 1 (the project-wide allow)", got)
	}
}
