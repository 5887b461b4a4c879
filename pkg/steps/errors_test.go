package steps_test

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
)

func TestClassify(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		res  steps.Result
		err  error
		want steps.Outcome
	}{
		{
			name: "nil error succeeds",
			res:  steps.Result{Message: "pushed", Outputs: map[string]any{"commit": "abc"}},
			want: steps.Outcome{Status: steps.StatusSucceeded, Message: "pushed"},
		},
		{
			name: "step says skipped",
			res:  steps.Result{Status: steps.StatusSkipped, Message: "nothing to commit"},
			want: steps.Outcome{Status: steps.StatusSkipped, Message: "nothing to commit"},
		},
		{
			name: "wait is running",
			err:  steps.Wait(30*time.Second, "pull request 7 is open"),
			want: steps.Outcome{Status: "Running", Message: "pull request 7 is open", RetryAfter: 30 * time.Second},
		},
		{
			name: "wrapped wait is running",
			err:  fmt.Errorf("argocd-wait: %w", steps.Wait(time.Minute, "app syncing")),
			want: steps.Outcome{Status: "Running", Message: "app syncing", RetryAfter: time.Minute},
		},
		{
			name: "plain error is retryable",
			err:  boom,
			want: steps.Outcome{Status: "Errored", Message: "boom"},
		},
		{
			name: "terminal error fails",
			err:  steps.Terminal(boom),
			want: steps.Outcome{Status: "Failed", Terminal: true, Message: "boom"},
		},
		{
			name: "wrapped terminal error fails",
			err:  fmt.Errorf("push: %w", steps.Terminal(boom)),
			want: steps.Outcome{Status: "Failed", Terminal: true, Message: "push: boom"},
		},
		{
			name: "failed error fails and is retried",
			err:  fmt.Errorf("run: %w", steps.Failed(steps.Reasoned("NonZeroExit", boom))),
			want: steps.Outcome{Status: "Failed", Reason: "NonZeroExit", Message: "run: boom"},
		},
		{
			name: "reasoned error keeps its reason",
			err:  fmt.Errorf("push: %w", steps.Reasoned("PushRejected", boom)),
			want: steps.Outcome{Status: "Errored", Reason: "PushRejected", Message: "push: boom"},
		},
		{
			name: "terminal reasoned error",
			err:  steps.Terminal(steps.Reasoned("PullRequestClosed", errors.New("closed unmerged"))),
			want: steps.Outcome{Status: "Failed", Terminal: true, Reason: "PullRequestClosed", Message: "closed unmerged"},
		},
		{
			name: "path escape",
			err:  steps.Terminal(fmt.Errorf("%w: %q", steps.ErrPathEscape, "../x")),
			want: steps.Outcome{Status: "Failed", Terminal: true, Reason: "PathEscapes", Message: `path escapes the workspace: "../x"`},
		},
		{
			name: "invalid config",
			err:  steps.Terminal(fmt.Errorf("step %q: %w", "push", steps.ErrInvalidConfig)),
			want: steps.Outcome{Status: "Failed", Terminal: true, Reason: "InvalidConfig", Message: `step "push": invalid step config`},
		},
		{
			name: "unknown step",
			err:  fmt.Errorf("%w: %q", steps.ErrUnknownStep, "nope"),
			want: steps.Outcome{Status: "Errored", Reason: "UnknownStep", Message: `step kind not registered: "nope"`},
		},
		{
			name: "an explicit reason wins over a sentinel",
			err:  steps.Reasoned("BadPath", fmt.Errorf("%w: x", steps.ErrPathEscape)),
			want: steps.Outcome{Status: "Errored", Reason: "BadPath", Message: "path escapes the workspace: x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := steps.Classify(tt.res, tt.err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Classify(%+v, %v) (-want +got):\n%s", tt.res, tt.err, diff)
			}
		})
	}
}

func TestTerminal(t *testing.T) {
	if err := steps.Terminal(nil); err != nil {
		t.Errorf("Terminal(nil) = %v, want nil", err)
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},
		{name: "plain", err: io.EOF, want: false},
		{name: "terminal", err: steps.Terminal(io.EOF), want: true},
		{name: "wrapped terminal", err: fmt.Errorf("read: %w", steps.Terminal(io.EOF)), want: true},
		{name: "joined with a terminal", err: errors.Join(io.ErrUnexpectedEOF, steps.Terminal(io.EOF)), want: true},
		{name: "wait", err: steps.Wait(time.Second, "later"), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := steps.IsTerminal(tt.err); got != tt.want {
				t.Errorf("IsTerminal(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	err := steps.Terminal(io.EOF)
	if !errors.Is(err, io.EOF) {
		t.Errorf("errors.Is(Terminal(io.EOF), io.EOF) = false, want true")
	}
	if err.Error() != io.EOF.Error() {
		t.Errorf("Terminal(io.EOF).Error() = %q, want %q", err.Error(), io.EOF.Error())
	}
}

func TestWaitError(t *testing.T) {
	err := steps.Wait(10*time.Second, "app syncing")
	if got, want := err.Error(), "waiting: app syncing"; got != want {
		t.Errorf("Wait(10s, app syncing).Error() = %q, want %q", got, want)
	}
}

func TestReasoned(t *testing.T) {
	err := fmt.Errorf("push main: %w", steps.Reasoned("PushRejected", io.ErrUnexpectedEOF))
	tests := []struct {
		name   string
		target error
		want   bool
	}{
		{name: "same reason", target: &steps.StepError{Reason: "PushRejected"}, want: true},
		{name: "same reason, other error", target: &steps.StepError{Reason: "PushRejected", Err: io.EOF}, want: true},
		{name: "other reason", target: &steps.StepError{Reason: "AuthFailed"}, want: false},
		{name: "wrapped error", target: io.ErrUnexpectedEOF, want: true},
		{name: "unrelated error", target: io.EOF, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(err, tt.target); got != tt.want {
				t.Errorf("errors.Is(%v, %v) = %v, want %v", err, tt.target, got, tt.want)
			}
		})
	}
	var se *steps.StepError
	if !errors.As(err, &se) || se.Reason != "PushRejected" {
		t.Errorf("errors.As(%v, *StepError) = %v, want reason PushRejected", err, se)
	}
	if got, want := err.Error(), "push main: unexpected EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestExecutorFor(t *testing.T) {
	tests := []struct {
		uses   string
		want   string
		wantOK bool
	}{
		{"git-push", "git", true},
		{"yaml-update", "config", true},
		{"argocd-update", "argocd", true},
		{"http", "http", true},
		{"fail", "scheduler", true},
		{"my-custom-step", "", false},
	}
	for _, tt := range tests {
		got, ok := steps.ExecutorFor(tt.uses)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ExecutorFor(%q) = %q, %v; want %q, %v", tt.uses, got, ok, tt.want, tt.wantOK)
		}
	}
}
