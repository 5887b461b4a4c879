package window_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/window"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(s string) *time.Time { t := at(s); return &t }

var (
	// Fridays 15:00 to Mondays 08:00, Berlin time: 2026-01-02 is a Friday.
	weekendFreeze = v1.PromotionWindow{Name: "weekend-freeze", Kind: "Deny", RRule: "FREQ=WEEKLY;BYDAY=FR",
		DTStart: "TZID=Europe/Berlin:20260102T150000", DTEnd: "TZID=Europe/Berlin:20260105T080000"}
	// Every day 09:00 to 17:00 in New York, across the switch to daylight saving on 2026-03-08.
	nyHours = v1.PromotionWindow{Name: "ny-hours", Kind: "Allow", RRule: "FREQ=DAILY",
		DTStart: "TZID=America/New_York:20260101T090000", DTEnd: "TZID=America/New_York:20260101T170000"}
	// The same hours without TZID: read in UTC.
	utcHours = v1.PromotionWindow{Name: "utc-hours", Kind: "Allow", RRule: "FREQ=DAILY",
		DTStart: "20260101T090000", DTEnd: "20260101T170000"}
	officeHours = v1.PromotionWindow{Name: "office", Kind: "Allow", RRule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
		DTStart: "20260105T090000Z", DTEnd: "20260105T170000Z"}
	lunch = v1.PromotionWindow{Name: "lunch", Kind: "Deny", RRule: "FREQ=DAILY",
		DTStart: "20260101T120000Z", DTEnd: "20260101T130000Z"}
	morning   = v1.PromotionWindow{Name: "morning", Kind: "Allow", RRule: "FREQ=DAILY", DTStart: "20260101T090000Z", DTEnd: "20260101T120000Z"}
	afternoon = v1.PromotionWindow{Name: "afternoon", Kind: "Allow", RRule: "FREQ=DAILY", DTStart: "20260101T110000Z", DTEnd: "20260101T150000Z"}
	// A one-off freeze over the new year.
	newYear = v1.PromotionWindow{Name: "new-year", Kind: "deny",
		DTStart: "TZID=Europe/Berlin:20261224T000000", DTEnd: "TZID=Europe/Berlin:20270102T000000"}
	// Dray's earlier cron form, in a time zone.
	cronNY = v1.PromotionWindow{Name: "cron-ny", Kind: "allow", Schedule: "0 9 * * *", Duration: "8h", TimeZone: "America/New_York"}
)

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		windows []v1.PromotionWindow
		now     string
		want    v1.PromotionWindowStatus
	}{
		{name: "no windows: open for good", now: "2026-11-25T12:00:00Z", want: v1.PromotionWindowStatus{}},
		{
			name: "a weekly freeze is open midweek and says when it closes", windows: []v1.PromotionWindow{weekendFreeze},
			now: "2026-11-25T12:00:00Z",
			want: v1.PromotionWindowStatus{NextClose: ptr("2026-11-27T14:00:00Z"),
				NextCloseReason: `deny window "weekend-freeze" is open until 2026-11-30T08:00:00+01:00`},
		},
		{
			name: "a weekly freeze holds over the weekend, until Monday 08:00 Berlin", windows: []v1.PromotionWindow{weekendFreeze},
			now: "2026-11-28T12:00:00Z",
			want: v1.PromotionWindowStatus{Closed: true, Reason: `deny window "weekend-freeze" is open until 2026-11-30T08:00:00+01:00`,
				NextOpen: ptr("2026-11-30T07:00:00Z")},
		},
		{
			name: "TZID: before daylight saving, 13:30 UTC is 08:30 in New York, closed", windows: []v1.PromotionWindow{nyHours},
			now: "2026-03-06T13:30:00Z",
			want: v1.PromotionWindowStatus{Closed: true, Reason: "no allow window is open; the next opens at 2026-03-06T09:00:00-05:00",
				NextOpen: ptr("2026-03-06T14:00:00Z")},
		},
		{
			name: "DST: after the switch, 13:30 UTC is 09:30 in New York, open until 17:00 there", windows: []v1.PromotionWindow{nyHours},
			now:  "2026-03-09T13:30:00Z",
			want: v1.PromotionWindowStatus{NextClose: ptr("2026-03-09T21:00:00Z"), NextCloseReason: "no allow window is open"},
		},
		{
			name: "without TZID the same hours are UTC", windows: []v1.PromotionWindow{utcHours},
			now:  "2026-03-06T13:30:00Z",
			want: v1.PromotionWindowStatus{NextClose: ptr("2026-03-06T17:00:00Z"), NextCloseReason: "no allow window is open"},
		},
		{
			name: "the cron form keeps working, DST included", windows: []v1.PromotionWindow{cronNY},
			now:  "2026-03-09T13:30:00Z",
			want: v1.PromotionWindowStatus{NextClose: ptr("2026-03-09T21:00:00Z"), NextCloseReason: "no allow window is open"},
		},
		{
			name: "deny wins inside an allow window", windows: []v1.PromotionWindow{officeHours, lunch},
			now: "2026-11-23T12:30:00Z",
			want: v1.PromotionWindowStatus{Closed: true, Reason: `deny window "lunch" is open until 2026-11-23T13:00:00Z`,
				NextOpen: ptr("2026-11-23T13:00:00Z")},
		},
		{
			name: "inside the allow window, the deny window is the next close", windows: []v1.PromotionWindow{officeHours, lunch},
			now: "2026-11-23T10:00:00Z",
			want: v1.PromotionWindowStatus{NextClose: ptr("2026-11-23T12:00:00Z"),
				NextCloseReason: `deny window "lunch" is open until 2026-11-23T13:00:00Z`},
		},
		{
			name: "a deny window ending outside every allow window does not open the Stage", windows: []v1.PromotionWindow{officeHours, lunch},
			now: "2026-11-28T12:30:00Z", // a Saturday
			want: v1.PromotionWindowStatus{Closed: true, Reason: `deny window "lunch" is open until 2026-11-28T13:00:00Z`,
				NextOpen: ptr("2026-11-30T09:00:00Z")},
		},
		{
			name: "overlapping allow windows stay open until the last ends", windows: []v1.PromotionWindow{morning, afternoon},
			now:  "2026-11-23T10:00:00Z",
			want: v1.PromotionWindowStatus{NextClose: ptr("2026-11-23T15:00:00Z"), NextCloseReason: "no allow window is open"},
		},
		{
			name: "a one-off freeze ahead is the next close", windows: []v1.PromotionWindow{newYear},
			now: "2026-12-01T00:00:00Z",
			want: v1.PromotionWindowStatus{NextClose: ptr("2026-12-23T23:00:00Z"),
				NextCloseReason: `deny window "new-year" is open until 2027-01-02T00:00:00+01:00`},
		},
		{
			name: "a one-off freeze that has passed leaves the Stage open for good", windows: []v1.PromotionWindow{newYear},
			now: "2027-02-01T00:00:00Z", want: v1.PromotionWindowStatus{},
		},
		{
			name: "an allow window that will not come again closes the Stage with no reopening",
			windows: []v1.PromotionWindow{{Name: "twice", Kind: "Allow", RRule: "FREQ=DAILY;COUNT=2",
				DTStart: "20260101T090000Z", DTEnd: "20260101T100000Z"}},
			now:  "2026-01-05T00:00:00Z",
			want: v1.PromotionWindowStatus{Closed: true, Reason: "no allow window is open"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := window.Evaluate(tt.windows, at(tt.now))
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Evaluate(%s) (-want +got):\n%s", tt.now, diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		w       v1.PromotionWindow
		cluster bool
		want    []string // fields at fault
	}{
		{name: "Kargo's form", w: weekendFreeze},
		{name: "the cron form", w: cronNY},
		{name: "lowercase kind", w: newYear},
		{name: "an RRULE with an unknown frequency", w: v1.PromotionWindow{Kind: "Deny", RRule: "FREQ=SOMETIMES", DTStart: "20260101T090000Z", DTEnd: "20260101T100000Z"}, want: []string{"rrule"}},
		{name: "an RRULE with an unknown part", w: v1.PromotionWindow{Kind: "Deny", RRule: "FREQ=DAILY;BYWHEN=1", DTStart: "20260101T090000Z", DTEnd: "20260101T100000Z"}, want: []string{"rrule"}},
		{name: "an RRULE every second", w: v1.PromotionWindow{Kind: "Deny", RRule: "FREQ=SECONDLY", DTStart: "20260101T090000Z", DTEnd: "20260101T090001Z"}, want: []string{"rrule"}},
		{name: "an unknown time zone", w: v1.PromotionWindow{Kind: "Deny", DTStart: "TZID=Mars/Olympus:20260101T090000", DTEnd: "20260101T100000Z"}, want: []string{"dtstart"}},
		{name: "no dtstart", w: v1.PromotionWindow{Kind: "Deny", RRule: "FREQ=DAILY"}, want: []string{"dtstart"}},
		{name: "no dtend", w: v1.PromotionWindow{Kind: "Deny", DTStart: "20260101T090000Z"}, want: []string{"dtend"}},
		{name: "dtend before dtstart", w: v1.PromotionWindow{Kind: "Deny", DTStart: "20260101T090000Z", DTEnd: "20260101T080000Z"}, want: []string{"dtend"}},
		{name: "an unknown kind", w: v1.PromotionWindow{Kind: "Maybe", DTStart: "20260101T090000Z", DTEnd: "20260101T100000Z"}, want: []string{"kind"}},
		{name: "both forms", w: v1.PromotionWindow{Kind: "Deny", RRule: "FREQ=DAILY", DTStart: "20260101T090000Z", DTEnd: "20260101T100000Z", Schedule: "0 9 * * *", Duration: "1h"}, want: []string{"schedule"}},
		{name: "projectSelector outside a ClusterConfig", w: v1.PromotionWindow{Kind: "Deny", DTStart: "20260101T090000Z", DTEnd: "20260101T100000Z", ProjectSelector: &v1.StageSelector{Name: "x"}}, want: []string{"projectSelector"}},
		{name: "projectSelector on a ClusterConfig", w: v1.PromotionWindow{Kind: "Deny", DTStart: "20260101T090000Z", DTEnd: "20260101T100000Z", ProjectSelector: &v1.StageSelector{Name: "x"}}, cluster: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, err := range window.Validate([]v1.PromotionWindow{tt.w}, tt.cluster) {
				var we *window.Error
				if !errors.As(err, &we) {
					t.Fatalf("Validate: %v is not a *window.Error", err)
				}
				got = append(got, we.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateNamesAnInvalidWindow(t *testing.T) {
	_, err := window.Evaluate([]v1.PromotionWindow{weekendFreeze, {Name: "bad", Kind: "Deny", RRule: "FREQ=SOMETIMES", DTStart: "20260101T090000Z", DTEnd: "20260101T100000Z"}}, at("2026-11-25T12:00:00Z"))
	want := `promotionWindows[1] bad: rrule: "FREQ=SOMETIMES" is not an RFC 5545`
	if err == nil || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("Evaluate error = %v, want it to start with %q", err, want)
	}
}

// TestEvaluateBoundsTheWork: a window recurring so often since dtstart that reading up to now
// would take long is an error naming it (the queue then holds its Promotions, saying why),
// and a back-to-back window is evaluated within a bounded number of occurrences.
func TestEvaluateBoundsTheWork(t *testing.T) {
	often := v1.PromotionWindow{Name: "often", Kind: "Deny", RRule: "FREQ=MINUTELY", DTStart: "20200101T000000Z", DTEnd: "20200101T000030Z"}
	_, err := window.Evaluate([]v1.PromotionWindow{often}, at("2026-12-07T12:30:10Z"))
	var we *window.Error
	if !errors.As(err, &we) || we.Field != "rrule" || we.Name != "often" {
		t.Errorf("Evaluate(every minute since 2020) = %v, want an rrule error naming the window", err)
	}
	hourly := v1.PromotionWindow{Name: "hourly", Kind: "Allow", RRule: "FREQ=HOURLY", DTStart: "20260101T000000Z", DTEnd: "20260101T010000Z"}
	got, err := window.Evaluate([]v1.PromotionWindow{hourly}, at("2026-12-07T12:30:00Z"))
	if err != nil || got.Closed || got.NextClose != nil {
		t.Errorf("Evaluate(back-to-back hourly) = %+v, %v; want open with no known close", got, err)
	}
}
