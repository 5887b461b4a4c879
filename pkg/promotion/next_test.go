package promotion_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/promotion"
)

// meta is a step's recorded metadata; finished steps get a FinishedAt.
func meta(alias, status, msg string, finished bool, attempts, errors int) v1.StepExecutionMetadata {
	m := v1.StepExecutionMetadata{Alias: alias, Status: status, Message: msg, Attempts: attempts, ErrorCount: errors, StartedAt: &t0}
	if finished {
		end := t0.Add(time.Minute)
		m.FinishedAt = &end
	}
	return m
}

func TestNext(t *testing.T) {
	now := t0.Add(time.Hour)
	three := []v1.PromotionStep{{Uses: "git-clone", As: "clone"}, {Uses: "yaml-update", As: "update"}, {Uses: "git-push", As: "push"}}
	tests := []struct {
		name        string
		phase       string
		currentStep int
		meta        []v1.StepExecutionMetadata
		want        promotion.Action
	}{
		{
			name:  "finished promotion needs nothing",
			phase: v1.PhaseSucceeded,
			meta:  []v1.StepExecutionMetadata{meta("clone", v1.StepSucceeded, "", true, 1, 0)},
			want:  promotion.Action{Kind: promotion.Nothing},
		},
		{
			name:  "aborted promotion with a running step needs nothing",
			phase: v1.PhaseAborted,
			meta:  []v1.StepExecutionMetadata{meta("clone", v1.StepRunning, "", false, 1, 0)},
			want:  promotion.Action{Kind: promotion.Nothing},
		},
		{
			name:  "first step first",
			phase: v1.PhaseRunning,
			want:  promotion.Action{Kind: promotion.RunStep, Step: 0, Attempt: 1, First: true},
		},
		{
			name:  "a queued (pending) promotion waits to be started",
			phase: v1.PhasePending,
			want:  promotion.Action{Kind: promotion.Nothing},
		},
		{
			name:  "next step after a finished one",
			phase: v1.PhaseRunning,
			meta:  []v1.StepExecutionMetadata{meta("clone", v1.StepSucceeded, "", true, 1, 0)},
			want:  promotion.Action{Kind: promotion.RunStep, Step: 1, Attempt: 1, First: true},
		},
		{
			name:  "next step after a failed one: its if decides",
			phase: v1.PhaseRunning,
			meta:  []v1.StepExecutionMetadata{meta("clone", v1.StepFailed, "no such branch", true, 1, 0)},
			want:  promotion.Action{Kind: promotion.RunStep, Step: 1, Attempt: 1, First: true},
		},
		{
			name:        "running step is polled again with the next attempt",
			phase:       v1.PhaseRunning,
			currentStep: 1,
			meta: []v1.StepExecutionMetadata{
				meta("clone", v1.StepSucceeded, "", true, 1, 0),
				meta("update", v1.StepRunning, "", false, 2, 0),
			},
			want: promotion.Action{Kind: promotion.RunStep, Step: 1, Attempt: 3},
		},
		{
			name:  "errored step is retried after a backoff",
			phase: v1.PhaseRunning,
			meta:  []v1.StepExecutionMetadata{retryAt(meta("clone", v1.StepErrored, "refused; step will be retried", false, 1, 1), now.Add(time.Second))},
			want:  promotion.Action{Kind: promotion.RunStep, Step: 0, Attempt: 2, NotBefore: now.Add(time.Second)},
		},
		{
			name:  "backoff doubles with the error count",
			phase: v1.PhaseRunning,
			meta:  []v1.StepExecutionMetadata{retryAt(meta("clone", v1.StepErrored, "refused; step will be retried", false, 4, 3), now.Add(4*time.Second))},
			want:  promotion.Action{Kind: promotion.RunStep, Step: 0, Attempt: 5, NotBefore: now.Add(4 * time.Second)},
		},
		{
			name:  "retryable failure is retried after a backoff",
			phase: v1.PhaseRunning,
			meta:  []v1.StepExecutionMetadata{retryAt(meta("clone", v1.StepFailed, "checks failing; step will be retried", false, 2, 2), now.Add(2*time.Second))},
			want:  promotion.Action{Kind: promotion.RunStep, Step: 0, Attempt: 3, NotBefore: now.Add(2 * time.Second)},
		},
		{
			name:  "step reached but never attempted is a first attempt",
			phase: v1.PhaseRunning,
			meta:  []v1.StepExecutionMetadata{meta("clone", v1.StepSucceeded, "", true, 1, 0), {Alias: "update"}},
			want:  promotion.Action{Kind: promotion.RunStep, Step: 1, Attempt: 1, First: true},
		},
		{
			name:        "all steps done finishes with the final phase",
			phase:       v1.PhaseRunning,
			currentStep: 2,
			meta: []v1.StepExecutionMetadata{
				meta("clone", v1.StepSucceeded, "", true, 1, 0),
				meta("update", v1.StepErrored, "an unrecoverable error occurred: bad yaml", true, 1, 0),
				meta("push", v1.StepSkipped, "", true, 0, 0),
			},
			want: promotion.Action{Kind: promotion.Finish, Phase: v1.PhaseErrored, Message: "an unrecoverable error occurred: bad yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := running(three...)
			p.Status.Phase, p.Status.CurrentStep, p.Status.StepExecutionMetadata = tt.phase, tt.currentStep, tt.meta
			got := promotion.Next(p, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Next() (-want +got):\n%s", diff)
			}
			if again := promotion.Next(p, now); !cmp.Equal(got, again) {
				t.Errorf("Next() asked twice = %+v, then %+v; want the same", got, again)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{9, 256 * time.Second},
		{10, 5 * time.Minute},
		{64, 5 * time.Minute},
		{1 << 20, 5 * time.Minute},
	}
	for _, tt := range tests {
		if got := promotion.Backoff(tt.n); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	for n := 1; n < 200; n++ {
		if a, b := promotion.Backoff(n), promotion.Backoff(n+1); b < a {
			t.Errorf("Backoff(%d) = %v < Backoff(%d) = %v, want non-decreasing", n+1, b, n, a)
		}
	}
}

func TestFinalPhase(t *testing.T) {
	coe := func(m v1.StepExecutionMetadata) v1.StepExecutionMetadata { m.ContinueOnError = true; return m }
	tests := []struct {
		name        string
		meta        []v1.StepExecutionMetadata
		wantPhase   string
		wantMessage string
	}{
		{
			name:      "no steps recorded",
			wantPhase: v1.PhaseSucceeded,
		},
		{
			name:      "all succeeded",
			meta:      []v1.StepExecutionMetadata{meta("a", v1.StepSucceeded, "done", true, 1, 0), meta("b", v1.StepSucceeded, "", true, 1, 0)},
			wantPhase: v1.PhaseSucceeded,
		},
		{
			name:        "skipped counts as success",
			meta:        []v1.StepExecutionMetadata{meta("a", v1.StepSucceeded, "", true, 1, 0), meta("b", v1.StepSkipped, "nothing to commit", true, 1, 0)},
			wantPhase:   v1.PhaseSucceeded,
			wantMessage: "nothing to commit",
		},
		{
			name: "failure then always() cleanup that succeeds",
			meta: []v1.StepExecutionMetadata{
				meta("test", v1.StepFailed, "tests failed", true, 1, 0),
				meta("cleanup", v1.StepSucceeded, "cleaned", true, 1, 0),
			},
			wantPhase:   v1.PhaseFailed,
			wantMessage: "tests failed",
		},
		{
			name: "continueOnError failure then success",
			meta: []v1.StepExecutionMetadata{
				coe(meta("notify", v1.StepFailed, "webhook down", true, 1, 0)),
				meta("push", v1.StepSucceeded, "", true, 1, 0),
			},
			wantPhase: v1.PhaseSucceeded,
		},
		{
			name: "continueOnError errored is ignored, default failure is not",
			meta: []v1.StepExecutionMetadata{
				coe(meta("notify", v1.StepErrored, "webhook down", true, 1, 0)),
				meta("push", v1.StepFailed, "rejected", true, 1, 0),
			},
			wantPhase:   v1.PhaseFailed,
			wantMessage: "rejected",
		},
		{
			name: "errored is worse than failed",
			meta: []v1.StepExecutionMetadata{
				meta("a", v1.StepFailed, "failed", true, 1, 0),
				meta("b", v1.StepErrored, "errored", true, 1, 0),
				meta("c", v1.StepFailed, "failed again", true, 1, 0),
			},
			wantPhase:   v1.PhaseErrored,
			wantMessage: "errored",
		},
		{
			name: "failed is worse than aborted",
			meta: []v1.StepExecutionMetadata{
				meta("a", v1.StepAborted, "aborted", true, 1, 0),
				meta("b", v1.StepFailed, "failed", true, 1, 0),
			},
			wantPhase:   v1.PhaseFailed,
			wantMessage: "failed",
		},
		{
			name:        "aborted",
			meta:        []v1.StepExecutionMetadata{meta("a", v1.StepSucceeded, "", true, 1, 0), meta("b", v1.StepAborted, "aborted by alice", true, 1, 0)},
			wantPhase:   v1.PhaseAborted,
			wantMessage: "aborted by alice",
		},
		{
			name:        "first of equally bad steps gives the message",
			meta:        []v1.StepExecutionMetadata{meta("a", v1.StepFailed, "first", true, 1, 0), meta("b", v1.StepFailed, "second", true, 1, 0)},
			wantPhase:   v1.PhaseFailed,
			wantMessage: "first",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := running()
			p.Status.StepExecutionMetadata = tt.meta
			phase, msg := promotion.FinalPhase(p)
			if phase != tt.wantPhase || msg != tt.wantMessage {
				t.Errorf("FinalPhase() = %q, %q; want %q, %q", phase, msg, tt.wantPhase, tt.wantMessage)
			}
		})
	}
}

// TestRecordThenNext drives whole promotions through Record and Next, as the state service and
// the scheduler do, for the examples of docs/steps/README.md#the-promotions-phase.
func TestRecordThenNext(t *testing.T) {
	type attempt struct {
		status   string
		msg      string
		terminal bool
	}
	tests := []struct {
		name        string
		steps       []v1.PromotionStep
		attempts    []attempt // one per step, in order, each the step's only attempt
		wantPhase   string
		wantMessage string
	}{
		{
			name:        "failure then always() cleanup",
			steps:       []v1.PromotionStep{{Uses: "git-push", As: "push"}, {Uses: "http", As: "cleanup", If: "${{ always() }}"}},
			attempts:    []attempt{{v1.StepFailed, "push rejected", true}, {v1.StepSucceeded, "", false}},
			wantPhase:   v1.PhaseFailed,
			wantMessage: "push rejected",
		},
		{
			name:      "continueOnError failure then success",
			steps:     []v1.PromotionStep{{Uses: "send-message", As: "notify", ContinueOnError: true}, {Uses: "git-push", As: "push"}},
			attempts:  []attempt{{v1.StepErrored, "slack down", false}, {v1.StepSucceeded, "", false}},
			wantPhase: v1.PhaseSucceeded,
		},
		{
			name:        "retryable error without continueOnError",
			steps:       []v1.PromotionStep{{Uses: "git-push", As: "push"}, {Uses: "http", As: "after"}},
			attempts:    []attempt{{v1.StepErrored, "refused", false}, {v1.StepSkipped, "", false}},
			wantPhase:   v1.PhaseErrored,
			wantMessage: `step "push" met error threshold of 1: refused`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := running(tt.steps...)
			now := t0
			for i, a := range tt.attempts {
				act := promotion.Next(p, now)
				if diff := cmp.Diff(promotion.Action{Kind: promotion.RunStep, Step: i, Attempt: 1, First: true}, act); diff != "" {
					t.Fatalf("Next() before step %d (-want +got):\n%s", i, diff)
				}
				if i == 1 && promotion.Failed(p, i) != (tt.wantPhase != v1.PhaseSucceeded) {
					t.Errorf("Failed(p, %d) = %v, want %v", i, promotion.Failed(p, i), tt.wantPhase != v1.PhaseSucceeded)
				}
				if !promotion.Record(p, res(i, 1, a.status, a.msg, a.terminal, now), now) {
					t.Fatalf("Record(step %d) = false, want true", i)
				}
				now = now.Add(time.Minute)
			}
			want := promotion.Action{Kind: promotion.Finish, Phase: tt.wantPhase, Message: tt.wantMessage}
			if diff := cmp.Diff(want, promotion.Next(p, now)); diff != "" {
				t.Errorf("Next() after the last step (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailedAndStepStatus(t *testing.T) {
	p := running()
	coe := meta("notify", v1.StepErrored, "", true, 1, 0)
	coe.ContinueOnError = true
	p.Status.StepExecutionMetadata = []v1.StepExecutionMetadata{
		meta("clone", v1.StepSucceeded, "", true, 1, 0),
		coe,
		meta("skipped", v1.StepSkipped, "", true, 0, 0),
		meta("push", v1.StepFailed, "", true, 1, 0),
		meta("cleanup", v1.StepRunning, "", false, 1, 0),
	}
	for i, want := range []bool{false, false, false, false, true, true} {
		if got := promotion.Failed(p, i); got != want {
			t.Errorf("Failed(p, %d) = %v, want %v", i, got, want)
		}
	}
	tests := []struct {
		alias string
		want  string
	}{
		{"clone", v1.StepSucceeded},
		{"notify", v1.StepErrored},
		{"push", v1.StepFailed},
		{"cleanup", v1.StepRunning},
		{"not-reached", ""},
	}
	for _, tt := range tests {
		if got := promotion.StepStatus(p, tt.alias); got != tt.want {
			t.Errorf("StepStatus(p, %q) = %q, want %q", tt.alias, got, tt.want)
		}
	}
}

// retryAt sets when Record scheduled the step's next attempt.
func retryAt(m v1.StepExecutionMetadata, t time.Time) v1.StepExecutionMetadata {
	m.NextAttemptAt = &t
	return m
}
