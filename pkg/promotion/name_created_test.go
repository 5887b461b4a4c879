package promotion_test

import (
	"testing"
	"time"

	"github.com/drayhq/dray/pkg/promotion"
)

// TestCreatedAtReadsNamesTime: the time put into a name by Name comes back, to the
// millisecond, also for a Stage name with dots; names of other forms say so.
func TestCreatedAtReadsNamesTime(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	for _, stage := range []string{"dev", "eu.prod"} {
		name := promotion.Name(stage, "abcdef0123", "key", at)
		got, ok := promotion.CreatedAt(name)
		if !ok || !got.Equal(at) {
			t.Errorf("CreatedAt(%q) = %v, %t, want %v, true", name, got, ok, at)
		}
	}
	for _, name := range []string{"dev", "dev.not-a-ulid.abcdef0"} {
		if _, ok := promotion.CreatedAt(name); ok {
			t.Errorf("CreatedAt(%q) = _, true, want false", name)
		}
	}
}
