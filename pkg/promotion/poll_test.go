package promotion_test

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/promotion"
)

// TestRecordSchedulesNextAttempt: a waiting step runs again after its retryAfter (at least
// 10s, 5m without one, never past its timeout); a retryable error after a backoff.
func TestRecordSchedulesNextAttempt(t *testing.T) {
	tests := []struct {
		name       string
		retry      *v1.PromotionStepRetry
		status     string
		retryAfter string
		want       time.Duration // after t0
	}{
		{name: "running with retryAfter", status: v1.StepRunning, retryAfter: "30s", want: 30 * time.Second},
		{name: "retryAfter below the minimum", status: v1.StepRunning, retryAfter: "1s", want: 10 * time.Second},
		{name: "running without retryAfter", status: v1.StepRunning, want: 5 * time.Minute},
		{name: "never past the timeout", status: v1.StepRunning, retryAfter: "10m",
			retry: &v1.PromotionStepRetry{Timeout: "2m"}, want: 2 * time.Minute},
		{name: "retryable error backs off", status: v1.StepErrored, retry: &v1.PromotionStepRetry{ErrorThreshold: 3}, want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := running(v1.PromotionStep{Uses: "git-wait-for-pr", As: "wait", Retry: tt.retry})
			r := res(0, 1, tt.status, "not yet", false, t0)
			r.RetryAfter = tt.retryAfter
			if !promotion.Record(p, r, t0) {
				t.Fatal("Record = false, want true")
			}
			m := p.Status.StepExecutionMetadata[0]
			if m.FinishedAt != nil || m.NextAttemptAt == nil {
				t.Fatalf("step finished = %v, next attempt = %v; want unfinished with a next attempt", m.FinishedAt, m.NextAttemptAt)
			}
			if got := m.NextAttemptAt.Sub(t0); got != tt.want {
				t.Errorf("next attempt after %s, want %s", got, tt.want)
			}
			if a := promotion.Next(p, t0); !a.NotBefore.Equal(*m.NextAttemptAt) || a.Attempt != 2 {
				t.Errorf("Next = %+v, want attempt 2 not before %s", a, m.NextAttemptAt)
			}
		})
	}
}

// TestRecordRejectsOutOfOrder: results that cannot belong to the running step change nothing.
func TestRecordRejectsOutOfOrder(t *testing.T) {
	p := running(v1.PromotionStep{Uses: "git-clone", As: "clone"}, v1.PromotionStep{Uses: "git-push", As: "push"})
	if promotion.Record(p, res(1, 1, v1.StepSucceeded, "", false, t0), t0) {
		t.Error("Record(step 1 before step 0 finished) = true, want false")
	}
	if promotion.Record(p, res(0, 0, v1.StepSucceeded, "", false, t0), t0) {
		t.Error("Record(attempt 0) = true, want false")
	}
	if len(p.Status.StepExecutionMetadata) != 0 {
		t.Errorf("rejected results left metadata behind: %+v", p.Status.StepExecutionMetadata)
	}
}

// TestRecordInvalidStatus: a status no step may return ends the step Errored.
func TestRecordInvalidStatus(t *testing.T) {
	p := running(v1.PromotionStep{Uses: "custom", As: "custom"})
	if !promotion.Record(p, res(0, 1, "Bogus", "", false, t0), t0) {
		t.Fatal("Record = false, want true")
	}
	m := p.Status.StepExecutionMetadata[0]
	if m.Status != v1.StepErrored || m.FinishedAt == nil || !strings.Contains(m.Message, `invalid status "Bogus"`) {
		t.Errorf("step = %s %q finished %v; want Errored naming the invalid status", m.Status, m.Message, m.FinishedAt)
	}
}

// TestAbort: the running step becomes Aborted, the Promotion ends Aborted naming the actor,
// nothing runs next, and a finished Promotion ignores a later abort.
func TestAbort(t *testing.T) {
	p := running(v1.PromotionStep{Uses: "git-clone", As: "clone"}, v1.PromotionStep{Uses: "git-wait-for-pr", As: "wait"}, v1.PromotionStep{Uses: "git-push", As: "push"})
	promotion.Record(p, res(0, 1, v1.StepSucceeded, "", false, t0), t0)
	promotion.Record(p, res(1, 1, v1.StepRunning, "open", false, t0), t0)
	if !promotion.Abort(p, "email:alice@example.com", t0) {
		t.Fatal("Abort(running) = false, want true")
	}
	if p.Status.Phase != v1.PhaseAborted || p.Status.Message != "Promotion terminated by email:alice@example.com" {
		t.Errorf("after Abort: phase %s, message %q", p.Status.Phase, p.Status.Message)
	}
	if got := promotion.StepStatus(p, "wait"); got != v1.StepAborted {
		t.Errorf("running step = %s, want Aborted", got)
	}
	if got := promotion.StepStatus(p, "clone"); got != v1.StepSucceeded {
		t.Errorf("finished step = %s, want it left Succeeded", got)
	}
	if a := promotion.Next(p, t0); a.Kind != promotion.Nothing {
		t.Errorf("Next after Abort = %+v, want Nothing", a)
	}
	if promotion.Record(p, res(1, 2, v1.StepSucceeded, "", false, t0), t0) {
		t.Error("Record after Abort = true, want false")
	}
	if promotion.Abort(p, "bob", t0) {
		t.Error("Abort(finished) = true, want false")
	}
}

// TestAbortDispatchedStep: a step whose job is out but whose result has not come back is the
// running step, and is aborted too.
func TestAbortDispatchedStep(t *testing.T) {
	p := running(v1.PromotionStep{Uses: "git-clone", As: "clone"}, v1.PromotionStep{Uses: "hold", As: "hold"})
	promotion.Record(p, res(0, 1, v1.StepSucceeded, "", false, t0), t0)
	if !promotion.Abort(p, "bob", t0) {
		t.Fatal("Abort = false, want true")
	}
	if got := promotion.StepStatus(p, "hold"); got != v1.StepAborted {
		t.Errorf("dispatched step = %q, want Aborted", got)
	}
}
