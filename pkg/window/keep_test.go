package window_test

import (
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/window"
)

// TestKeepPending: the window that keeps a Stage closed decides whether its queued Promotions
// are kept: an active Deny window's keepPending, or, with no Deny window active, an Allow
// window's.
func TestKeepPending(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 30, 0, 0, time.UTC) // a Friday
	deny := func(keep bool) v1.PromotionWindow {
		return v1.PromotionWindow{Name: "freeze", Kind: "Deny", RRule: "FREQ=WEEKLY;BYDAY=FR", DTStart: "20260102T150000Z", DTEnd: "20260102T160000Z", KeepPending: keep}
	}
	laterDeny := v1.PromotionWindow{Name: "later", Kind: "Deny", DTStart: "20260103T150000Z", DTEnd: "20260103T160000Z", KeepPending: true}
	allow := func(keep bool) v1.PromotionWindow {
		return v1.PromotionWindow{Name: "hours", Kind: "Allow", RRule: "FREQ=DAILY", DTStart: "20260101T090000Z", DTEnd: "20260101T150000Z", KeepPending: keep}
	}
	tests := []struct {
		name    string
		windows []v1.PromotionWindow
		want    bool
	}{
		{"deny discards", []v1.PromotionWindow{deny(false)}, false},
		{"deny keeps", []v1.PromotionWindow{deny(true)}, true},
		{"an inactive deny's keepPending does not count", []v1.PromotionWindow{deny(false), laterDeny}, false},
		{"the active deny decides over an allow that keeps", []v1.PromotionWindow{deny(false), allow(true)}, false},
		{"allow closed, keeps", []v1.PromotionWindow{allow(true)}, true},
		{"allow closed, discards", []v1.PromotionWindow{allow(false)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := window.KeepPending(tt.windows, now)
			if err != nil || got != tt.want {
				t.Errorf("KeepPending() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := window.KeepPending([]v1.PromotionWindow{{Name: "bad", Kind: "Deny", RRule: "FREQ=NEVER", DTStart: "20260101T000000Z", DTEnd: "20260101T010000Z"}}, now); err == nil {
		t.Error("KeepPending(invalid rrule) = nil error, want the window named")
	}
}
