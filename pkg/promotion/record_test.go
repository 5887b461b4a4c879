package promotion_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/promotion"
)

// t0 is when every test promotion's first step starts.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// running returns a Running Promotion with the given steps.
func running(steps ...v1.PromotionStep) *v1.Promotion {
	return &v1.Promotion{
		Metadata: v1.ObjectMeta{Name: "dev.01jnkz.abc1234", Namespace: "demo"},
		Spec:     v1.PromotionSpec{Stage: "dev", Freight: "abc1234", Steps: steps},
		Status:   v1.PromotionStatus{Phase: v1.PhaseRunning},
	}
}

// res is the result of an attempt of a step that started at start and took a second.
func res(step, attempt int, status, msg string, terminal bool, start time.Time) *v1.StepResult {
	return &v1.StepResult{
		Project: "demo", Promotion: "dev.01jnkz.abc1234", Step: step, Attempt: attempt,
		Status: status, Message: msg, Terminal: terminal,
		StartedAt: start, FinishedAt: start.Add(time.Second),
	}
}

// clone deep-copies p through its JSON form, the form it is stored in.
func clone(t *testing.T, p *v1.Promotion) *v1.Promotion {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("json.Marshal(promotion) = %v", err)
	}
	var c v1.Promotion
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("json.Unmarshal(promotion) = %v", err)
	}
	return &c
}

// outcome is the part of a step's metadata that classification decides.
type outcome struct {
	Status     string
	Message    string
	Finished   bool
	ErrorCount int
	Attempts   int
}

func outcomeOf(m v1.StepExecutionMetadata) outcome {
	return outcome{Status: m.Status, Message: m.Message, Finished: m.FinishedAt != nil, ErrorCount: m.ErrorCount, Attempts: m.Attempts}
}

func TestRecordClassifies(t *testing.T) {
	deploy := v1.PromotionStep{Uses: "argocd-update", As: "deploy"}
	withRetry := func(threshold uint32, timeout string) v1.PromotionStep {
		s := deploy
		s.Retry = &v1.PromotionStepRetry{ErrorThreshold: threshold, Timeout: timeout}
		return s
	}
	tests := []struct {
		name string
		step v1.PromotionStep
		// results are recorded in order; the last one is the one under test.
		results []*v1.StepResult
		now     time.Time
		want    outcome
	}{
		{
			name:    "succeeded finishes",
			step:    deploy,
			results: []*v1.StepResult{res(0, 1, v1.StepSucceeded, "synced", false, t0)},
			want:    outcome{Status: v1.StepSucceeded, Message: "synced", Finished: true, Attempts: 1},
		},
		{
			name:    "skipped finishes",
			step:    deploy,
			results: []*v1.StepResult{res(0, 1, v1.StepSkipped, "nothing to commit", false, t0)},
			want:    outcome{Status: v1.StepSkipped, Message: "nothing to commit", Finished: true, Attempts: 1},
		},
		{
			name:    "succeeded after the timeout still succeeds",
			step:    withRetry(0, "1m"),
			results: []*v1.StepResult{res(0, 1, v1.StepSucceeded, "", false, t0)},
			now:     t0.Add(time.Hour),
			want:    outcome{Status: v1.StepSucceeded, Finished: true, Attempts: 1},
		},
		{
			name:    "failed and terminal finishes failed with the error text",
			step:    withRetry(5, ""),
			results: []*v1.StepResult{res(0, 1, v1.StepFailed, "pull request closed without merging", true, t0)},
			want:    outcome{Status: v1.StepFailed, Message: "pull request closed without merging", Finished: true, Attempts: 1},
		},
		{
			name:    "errored and terminal finishes errored as unrecoverable",
			step:    withRetry(5, ""),
			results: []*v1.StepResult{res(0, 1, v1.StepErrored, "bad credentials", true, t0)},
			want:    outcome{Status: v1.StepErrored, Message: "an unrecoverable error occurred: bad credentials", Finished: true, Attempts: 1},
		},
		{
			name:    "running and terminal finishes errored as unrecoverable",
			step:    withRetry(5, ""),
			results: []*v1.StepResult{res(0, 1, v1.StepRunning, "gone", true, t0)},
			want:    outcome{Status: v1.StepErrored, Message: "an unrecoverable error occurred: gone", Finished: true, Attempts: 1},
		},
		{
			name:    "retryable error meets the default threshold of 1",
			step:    deploy,
			results: []*v1.StepResult{res(0, 1, v1.StepErrored, "connection refused", false, t0)},
			want:    outcome{Status: v1.StepErrored, Message: `step "deploy" met error threshold of 1: connection refused`, Finished: true, ErrorCount: 1, Attempts: 1},
		},
		{
			name:    "errored without a message has no details",
			step:    deploy,
			results: []*v1.StepResult{res(0, 1, v1.StepErrored, "", false, t0)},
			want:    outcome{Status: v1.StepErrored, Message: `step "deploy" met error threshold of 1: no details provided`, Finished: true, ErrorCount: 1, Attempts: 1},
		},
		{
			name:    "retryable failure meets the threshold and stays failed",
			step:    deploy,
			results: []*v1.StepResult{res(0, 1, v1.StepFailed, "checks failing", false, t0)},
			want:    outcome{Status: v1.StepFailed, Message: `step "deploy" met error threshold of 1: checks failing`, Finished: true, ErrorCount: 1, Attempts: 1},
		},
		{
			name:    "retryable error below the threshold will be retried",
			step:    withRetry(3, ""),
			results: []*v1.StepResult{res(0, 1, v1.StepErrored, "connection refused", false, t0)},
			want:    outcome{Status: v1.StepErrored, Message: "connection refused; step will be retried", ErrorCount: 1, Attempts: 1},
		},
		{
			name:    "retryable failure below the threshold will be retried",
			step:    withRetry(3, ""),
			results: []*v1.StepResult{res(0, 1, v1.StepFailed, "checks failing", false, t0)},
			want:    outcome{Status: v1.StepFailed, Message: "checks failing; step will be retried", ErrorCount: 1, Attempts: 1},
		},
		{
			name: "third retryable error meets a threshold of 3",
			step: withRetry(3, ""),
			results: []*v1.StepResult{
				res(0, 1, v1.StepErrored, "refused", false, t0),
				res(0, 2, v1.StepErrored, "refused", false, t0.Add(time.Minute)),
				res(0, 3, v1.StepErrored, "timeout", false, t0.Add(2*time.Minute)),
			},
			want: outcome{Status: v1.StepErrored, Message: `step "deploy" met error threshold of 3: timeout`, Finished: true, ErrorCount: 3, Attempts: 3},
		},
		{
			name: "a running attempt does not reset the error count",
			step: withRetry(2, ""),
			results: []*v1.StepResult{
				res(0, 1, v1.StepErrored, "refused", false, t0),
				res(0, 2, v1.StepRunning, "syncing", false, t0.Add(time.Minute)),
				res(0, 3, v1.StepErrored, "refused", false, t0.Add(2*time.Minute)),
			},
			want: outcome{Status: v1.StepErrored, Message: `step "deploy" met error threshold of 2: refused`, Finished: true, ErrorCount: 2, Attempts: 3},
		},
		{
			name:    "failed without an error is unfinished like running",
			step:    withRetry(1, ""),
			results: []*v1.StepResult{res(0, 1, v1.StepFailed, "", false, t0)},
			want:    outcome{Status: v1.StepRunning, Attempts: 1},
		},
		{
			name:    "running is unfinished",
			step:    deploy,
			results: []*v1.StepResult{res(0, 1, v1.StepRunning, "waiting for the pull request", false, t0)},
			want:    outcome{Status: v1.StepRunning, Message: "waiting for the pull request", Attempts: 1},
		},
		{
			name:    "running within the timeout is unfinished",
			step:    withRetry(0, "1h"),
			results: []*v1.StepResult{res(0, 1, v1.StepRunning, "syncing", false, t0)},
			now:     t0.Add(59 * time.Minute),
			want:    outcome{Status: v1.StepRunning, Message: "syncing", Attempts: 1},
		},
		{
			name:    "running past the timeout errors",
			step:    withRetry(0, "1h"),
			results: []*v1.StepResult{res(0, 1, v1.StepRunning, "syncing", false, t0)},
			now:     t0.Add(61 * time.Minute),
			want:    outcome{Status: v1.StepErrored, Message: `step "deploy" timed out after 1h0m0s`, Finished: true, Attempts: 1},
		},
		{
			name: "timeout counts from the first attempt's start",
			step: withRetry(0, "1h"),
			results: []*v1.StepResult{
				res(0, 1, v1.StepRunning, "syncing", false, t0),
				res(0, 2, v1.StepRunning, "syncing", false, t0.Add(50*time.Minute)),
			},
			now:  t0.Add(61 * time.Minute),
			want: outcome{Status: v1.StepErrored, Message: `step "deploy" timed out after 1h0m0s`, Finished: true, Attempts: 2},
		},
		{
			name:    "argocd-update without a timeout has its default 5m",
			step:    deploy,
			results: []*v1.StepResult{res(0, 1, v1.StepRunning, "syncing", false, t0)},
			now:     t0.Add(6 * time.Minute),
			want:    outcome{Status: v1.StepErrored, Message: `step "deploy" timed out after 5m0s`, Finished: true, Attempts: 1},
		},
		{
			name:    "a retry without a timeout keeps the default 5m",
			step:    withRetry(3, ""),
			results: []*v1.StepResult{res(0, 1, v1.StepRunning, "syncing", false, t0)},
			now:     t0.Add(6 * time.Minute),
			want:    outcome{Status: v1.StepErrored, Message: `step "deploy" timed out after 5m0s`, Finished: true, Attempts: 1},
		},
		{
			name:    "a step with no default timeout runs on",
			step:    v1.PromotionStep{Uses: "git-wait-for-pr", As: "deploy"},
			results: []*v1.StepResult{res(0, 1, v1.StepRunning, "waiting for the pull request", false, t0)},
			now:     t0.Add(48 * time.Hour),
			want:    outcome{Status: v1.StepRunning, Message: "waiting for the pull request", Attempts: 1},
		},
		{
			name:    "retryable error below the threshold past the timeout errors",
			step:    withRetry(5, "10m"),
			results: []*v1.StepResult{res(0, 1, v1.StepFailed, "checks failing", false, t0)},
			now:     t0.Add(11 * time.Minute),
			want:    outcome{Status: v1.StepErrored, Message: `step "deploy" timed out after 10m0s`, Finished: true, ErrorCount: 1, Attempts: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := running(tt.step)
			now := tt.now
			if now.IsZero() {
				now = t0.Add(time.Minute)
			}
			for i, r := range tt.results {
				at := r.FinishedAt
				if i == len(tt.results)-1 {
					at = now
				}
				if !promotion.Record(p, r, at) {
					t.Fatalf("Record(attempt %d) = false, want true", r.Attempt)
				}
			}
			if got := len(p.Status.StepExecutionMetadata); got != 1 {
				t.Fatalf("len(StepExecutionMetadata) = %d, want 1", got)
			}
			if diff := cmp.Diff(tt.want, outcomeOf(p.Status.StepExecutionMetadata[0])); diff != "" {
				t.Errorf("step after Record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordStoresAttempt(t *testing.T) {
	p := running(v1.PromotionStep{Uses: "git-clone", As: "clone"}, v1.PromotionStep{Uses: "git-push", ContinueOnError: true, As: "step-2"})
	p.Status.Workspace = 1
	p.Status.StepExecutionMetadata = []v1.StepExecutionMetadata{
		{Alias: "clone", Uses: "git-clone", Status: v1.StepSucceeded, Attempts: 1, FinishedAt: &t0},
	}
	r := res(1, 1, v1.StepSucceeded, "pushed", false, t0)
	r.Workspace = 3
	r.Outputs = map[string]any{"commit": "abc"}
	r.Executor, r.Reason, r.Config = "git/host-1", "Pushed", map[string]any{"path": "out"}
	if !promotion.Record(p, r, t0) {
		t.Fatalf("Record(%+v) = false, want true", r)
	}
	finished := t0.Add(time.Second)
	want := v1.PromotionStatus{
		Phase:       v1.PhaseRunning,
		CurrentStep: 1,
		StepExecutionMetadata: []v1.StepExecutionMetadata{
			{Alias: "clone", Uses: "git-clone", Status: v1.StepSucceeded, Attempts: 1, FinishedAt: &t0},
			{
				Alias: "step-2", Uses: "git-push", ContinueOnError: true, StartedAt: &t0, FinishedAt: &finished,
				Attempts: 1, Status: v1.StepSucceeded, Message: "pushed", Reason: "Pushed",
				Executor: "git/host-1", Config: map[string]any{"path": "out"},
			},
		},
		State:     map[string]map[string]any{"step-2": {"commit": "abc"}},
		Workspace: 3,
	}
	if diff := cmp.Diff(want, p.Status); diff != "" {
		t.Errorf("Status after Record (-want +got):\n%s", diff)
	}

	// A result carrying an older workspace revision does not move the workspace back.
	q := running(v1.PromotionStep{Uses: "git-clone", As: "clone"})
	q.Status.Workspace = 4
	r = res(0, 1, v1.StepRunning, "", false, t0)
	r.Workspace = 2
	promotion.Record(q, r, t0)
	if q.Status.Workspace != 4 {
		t.Errorf("Record(workspace 2 over 4): Workspace = %d, want 4", q.Status.Workspace)
	}
}

func TestRecordIgnoresStaleResults(t *testing.T) {
	twoSteps := func() *v1.Promotion {
		return running(v1.PromotionStep{Uses: "git-clone", As: "clone"}, v1.PromotionStep{Uses: "git-push", As: "push", Retry: &v1.PromotionStepRetry{ErrorThreshold: 3}})
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) *v1.Promotion
		r     *v1.StepResult
	}{
		{
			name: "same attempt of a running step again",
			setup: func(t *testing.T) *v1.Promotion {
				p := twoSteps()
				promotion.Record(p, res(0, 1, v1.StepRunning, "cloning", false, t0), t0)
				return p
			},
			r: res(0, 1, v1.StepRunning, "cloning", false, t0),
		},
		{
			name: "same attempt of a retried step with another outcome",
			setup: func(t *testing.T) *v1.Promotion {
				p := twoSteps()
				promotion.Record(p, res(0, 1, v1.StepSucceeded, "", false, t0), t0)
				promotion.Record(p, res(1, 1, v1.StepErrored, "rejected", false, t0), t0)
				return p
			},
			r: res(1, 1, v1.StepSucceeded, "pushed", false, t0),
		},
		{
			name: "older attempt",
			setup: func(t *testing.T) *v1.Promotion {
				p := twoSteps()
				promotion.Record(p, res(0, 1, v1.StepRunning, "", false, t0), t0)
				promotion.Record(p, res(0, 2, v1.StepRunning, "", false, t0), t0)
				return p
			},
			r: res(0, 1, v1.StepSucceeded, "", false, t0),
		},
		{
			name: "new attempt of a finished step",
			setup: func(t *testing.T) *v1.Promotion {
				p := twoSteps()
				promotion.Record(p, res(0, 1, v1.StepErrored, "boom", false, t0), t0)
				return p
			},
			r: res(0, 2, v1.StepSucceeded, "", false, t0),
		},
		{
			name: "step before the current one",
			setup: func(t *testing.T) *v1.Promotion {
				p := twoSteps()
				promotion.Record(p, res(0, 1, v1.StepSucceeded, "", false, t0), t0)
				promotion.Record(p, res(1, 1, v1.StepRunning, "", false, t0), t0)
				return p
			},
			r: res(0, 2, v1.StepSucceeded, "", false, t0),
		},
		{
			name:  "step index past the last step",
			setup: func(t *testing.T) *v1.Promotion { return twoSteps() },
			r:     res(2, 1, v1.StepSucceeded, "", false, t0),
		},
		{
			name:  "negative step index",
			setup: func(t *testing.T) *v1.Promotion { return twoSteps() },
			r:     res(-1, 1, v1.StepSucceeded, "", false, t0),
		},
		{
			name: "finished promotion",
			setup: func(t *testing.T) *v1.Promotion {
				p := twoSteps()
				promotion.Record(p, res(0, 1, v1.StepRunning, "", false, t0), t0)
				p.Status.Phase = v1.PhaseAborted
				return p
			},
			r: res(0, 2, v1.StepSucceeded, "", false, t0),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.setup(t)
			before := clone(t, p)
			if got := promotion.Record(p, tt.r, t0.Add(time.Hour)); got {
				t.Errorf("Record(step %d, attempt %d) = %v, want false", tt.r.Step, tt.r.Attempt, got)
			}
			if diff := cmp.Diff(before, clone(t, p)); diff != "" {
				t.Errorf("Record of a stale result changed the Promotion (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStart(t *testing.T) {
	tests := []struct {
		name      string
		phase     string
		want      bool
		wantPhase string
	}{
		{name: "pending", phase: v1.PhasePending, want: true, wantPhase: v1.PhaseRunning},
		{name: "no phase yet", phase: "", want: true, wantPhase: v1.PhaseRunning},
		{name: "running", phase: v1.PhaseRunning, want: false, wantPhase: v1.PhaseRunning},
		{name: "succeeded", phase: v1.PhaseSucceeded, want: false, wantPhase: v1.PhaseSucceeded},
	}
	now := time.Date(2025, 3, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &v1.Promotion{Status: v1.PromotionStatus{Phase: tt.phase}}
			if got := promotion.Start(p, now); got != tt.want {
				t.Errorf("Start(%q) = %v, want %v", tt.phase, got, tt.want)
			}
			if p.Status.Phase != tt.wantPhase {
				t.Errorf("Start(%q): Phase = %q, want %q", tt.phase, p.Status.Phase, tt.wantPhase)
			}
			switch {
			case tt.want && (p.Status.StartedAt == nil || !p.Status.StartedAt.Equal(now) || p.Status.StartedAt.Location() != time.UTC):
				t.Errorf("Start(%q): StartedAt = %v, want %v in UTC", tt.phase, p.Status.StartedAt, now.UTC())
			case !tt.want && p.Status.StartedAt != nil:
				t.Errorf("Start(%q): StartedAt = %v, want unchanged nil", tt.phase, p.Status.StartedAt)
			}
		})
	}
}

func TestErrorThresholdAndTimeout(t *testing.T) {
	tests := []struct {
		name          string
		retry         *v1.PromotionStepRetry
		wantThreshold int
		wantTimeout   time.Duration
	}{
		{name: "no retry", retry: nil, wantThreshold: 1, wantTimeout: 0},
		{name: "zero values", retry: &v1.PromotionStepRetry{}, wantThreshold: 1, wantTimeout: 0},
		{name: "set", retry: &v1.PromotionStepRetry{ErrorThreshold: 4, Timeout: "90s"}, wantThreshold: 4, wantTimeout: 90 * time.Second},
		{name: "unparsable timeout", retry: &v1.PromotionStepRetry{Timeout: "soon"}, wantThreshold: 1, wantTimeout: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := v1.PromotionStep{Uses: "http", Retry: tt.retry}
			if got := promotion.ErrorThreshold(s); got != tt.wantThreshold {
				t.Errorf("ErrorThreshold(%+v) = %d, want %d", tt.retry, got, tt.wantThreshold)
			}
			if got := promotion.Timeout(s); got != tt.wantTimeout {
				t.Errorf("Timeout(%+v) = %v, want %v", tt.retry, got, tt.wantTimeout)
			}
		})
	}
}

// TestPrepareDeadline: the job of a step that has started carries its deadline, its start
// plus retry.timeout, or the step's default (argocd-update's 5m) when it sets none.
func TestPrepareDeadline(t *testing.T) {
	route := func(string) (string, bool) { return "argocd", true }
	tests := []struct {
		name string
		step v1.PromotionStep
		want time.Duration // 0: no deadline
	}{
		{name: "retry.timeout", step: v1.PromotionStep{Uses: "argocd-update", As: "deploy", Retry: &v1.PromotionStepRetry{Timeout: "1h"}}, want: time.Hour},
		{name: "default", step: v1.PromotionStep{Uses: "argocd-update", As: "deploy"}, want: 5 * time.Minute},
		{name: "none", step: v1.PromotionStep{Uses: "git-wait-for-pr", As: "deploy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := running(tt.step)
			if !promotion.Record(p, res(0, 1, v1.StepRunning, "syncing", false, t0), t0.Add(time.Minute)) {
				t.Fatal("Record() = false")
			}
			now := t0.Add(2 * time.Minute)
			prep := promotion.Prepare(expr.New(), p, promotion.Next(p, now), promotion.PrepareOptions{Route: route, Now: now})
			if prep.Job == nil {
				t.Fatalf("Prepare() = %+v, want a job", prep.Result)
			}
			var got time.Duration
			if prep.Job.Deadline != nil {
				got = prep.Job.Deadline.Sub(t0)
			}
			if got != tt.want {
				t.Errorf("job deadline = start + %s, want start + %s", got, tt.want)
			}
		})
	}
}
