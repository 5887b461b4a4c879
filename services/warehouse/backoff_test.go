package warehouse

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		n        int
		interval time.Duration
		want     time.Duration
	}{
		{1, time.Hour, 5 * time.Second},
		{2, time.Hour, 10 * time.Second},
		{4, time.Hour, 40 * time.Second},
		{7, time.Hour, 5 * time.Minute},
		{100, time.Hour, 5 * time.Minute},
		{3, 15 * time.Second, 15 * time.Second},
	}
	for _, tt := range tests {
		if got := backoff(tt.n, tt.interval); got != tt.want {
			t.Errorf("backoff(%d, %s) = %s, want %s", tt.n, tt.interval, got, tt.want)
		}
	}
}
