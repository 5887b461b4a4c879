package gitrepo_test

import (
	"math"
	"testing"
	"time"

	"github.com/drayhq/dray/pkg/gitrepo"
)

// TestDefaultBackoffSpread: round n waits 1 s × 1.5^(n-1) plus up to half of that again, at most
// 30 s, and the jitter spreads over that range.
func TestDefaultBackoffSpread(t *testing.T) {
	for n := 1; n <= 14; n++ {
		base := time.Duration(float64(time.Second) * math.Pow(1.5, float64(n-1)))
		lo, hi := min(base, 30*time.Second), min(base+base/2, 30*time.Second)
		seenLow, seenHigh := false, false
		for range 400 {
			d := gitrepo.DefaultBackoff(n)
			if d < lo || d > hi {
				t.Fatalf("DefaultBackoff(%d) = %s, want within [%s, %s]", n, d, lo, hi)
			}
			mid := lo + (hi-lo)/2
			seenLow = seenLow || d <= mid
			seenHigh = seenHigh || d >= mid
		}
		if lo < hi && !(seenLow && seenHigh) {
			t.Errorf("DefaultBackoff(%d) never spread over [%s, %s]", n, lo, hi)
		}
	}
}
