package timer_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drayhq/dray/pkg/timer"
)

func TestSetRunsAtTheTimeWithRunsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type key struct{}
		ctx, cancel := context.WithCancel(context.WithValue(t.Context(), key{}, "run's"))
		defer cancel()
		var s timer.Set
		go s.Run(ctx)
		start := time.Now()
		got := make(chan string, 2)
		ranAt := make(chan time.Duration, 2)
		s.At("a", start.Add(time.Minute), func(ctx context.Context) {
			got <- ctx.Value(key{}).(string)
			ranAt <- time.Since(start)
		})
		synctest.Wait()
		if len(got) != 0 {
			t.Fatal("ran before its time")
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if v := <-got; v != "run's" {
			t.Errorf("context value = %q, want the one Run was given", v)
		}
		if d := <-ranAt; d != time.Minute {
			t.Errorf("ran after %v, want 1m", d)
		}
	})
}

func TestSetReplacesTheKeysTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s timer.Set
		go s.Run(t.Context())
		var first, second atomic.Int32
		now := time.Now()
		s.At("k", now.Add(time.Minute), func(context.Context) { first.Add(1) })
		s.At("k", now.Add(2*time.Minute), func(context.Context) { second.Add(1) })
		s.At("zero", time.Time{}, func(context.Context) { t.Error("a zero time ran") })
		time.Sleep(3 * time.Minute)
		synctest.Wait()
		if first.Load() != 0 || second.Load() != 1 {
			t.Errorf("replaced timer ran %d times, new one %d times; want 0 and 1", first.Load(), second.Load())
		}
		if s.Len() != 1 {
			t.Errorf("Len() = %d, want 1 (one key; a zero time sets nothing)", s.Len())
		}
	})
}

func TestSetStopsWithRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var s timer.Set
		ended := make(chan struct{})
		go func() { s.Run(ctx); close(ended) }()
		var ran atomic.Int32
		s.At("k", time.Now().Add(time.Minute), func(context.Context) { ran.Add(1) })
		cancel()
		<-ended
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if ran.Load() != 0 {
			t.Error("a timer ran after Run ended")
		}
	})
}
