package window_test

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/window"
)

// TestEvaluateCron keeps Dray's earlier cron form working as it did.
func TestEvaluateCron(t *testing.T) {
	// Monday 2026-11-23 12:00 UTC.
	mon := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	freeze := v1.PromotionWindow{Name: "weekend-freeze", Kind: "deny", Schedule: "0 18 * * 5", Duration: "62h"} // Fri 18:00 → Mon 08:00
	office := v1.PromotionWindow{Name: "office", Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h"}        // 09:00–17:00 weekdays
	berlin := v1.PromotionWindow{Name: "office-berlin", Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h", TimeZone: "Europe/Berlin"}
	tests := []struct {
		name     string
		windows  []v1.PromotionWindow
		at       time.Time
		open     bool
		reason   string
		nextOpen time.Time
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
			got, err := window.Evaluate(tt.windows, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			var next time.Time
			if got.NextOpen != nil {
				next = *got.NextOpen
			}
			if got.Closed == tt.open || !strings.Contains(got.Reason, tt.reason) || !next.Equal(tt.nextOpen) {
				t.Errorf("Evaluate = %+v; want open=%v, reason containing %q, next open %v", got, tt.open, tt.reason, tt.nextOpen)
			}
		})
	}
}

func TestCronErrors(t *testing.T) {
	bad := []v1.PromotionWindow{
		{Kind: "maybe", Schedule: "* * * * *", Duration: "1h"},
		{Kind: "deny", Schedule: "every friday", Duration: "1h"},
		{Kind: "deny", Schedule: "0 18 * * 5", Duration: "all weekend"},
		{Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h", TimeZone: "Mars/Olympus"},
	}
	errs := window.Validate(bad, false)
	for i, want := range []string{"kind:", "schedule:", "duration:", "timeZone:"} {
		if i >= len(errs) || !strings.Contains(errs[i].Error(), want) || !strings.Contains(errs[i].Error(), "promotionWindows[") {
			t.Errorf("error %d = %v, want one naming %s", i, errs, want)
		}
	}
}
