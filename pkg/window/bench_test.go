package window_test

import (
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/window"
)

// BenchmarkEvaluateBackToBack is the costliest common shape: an Allow window that recurs
// hourly, back to back, so no close is found within the horizon.
func BenchmarkEvaluateBackToBack(b *testing.B) {
	ws := []v1.PromotionWindow{{Name: "hourly", Kind: "Allow", RRule: "FREQ=HOURLY", DTStart: "20260101T000000Z", DTEnd: "20260101T010000Z"}}
	now := at("2026-12-07T12:30:00Z")
	for b.Loop() {
		if _, err := window.Evaluate(ws, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateMinutely reads a window recurring every minute for two months before now.
func BenchmarkEvaluateMinutely(b *testing.B) {
	ws := []v1.PromotionWindow{{Name: "minutely", Kind: "Deny", RRule: "FREQ=MINUTELY", DTStart: "20261001T000000Z", DTEnd: "20261001T000030Z"}}
	now := at("2026-12-07T12:30:10Z")
	for b.Loop() {
		if _, err := window.Evaluate(ws, now); err != nil {
			b.Fatal(err)
		}
	}
}
