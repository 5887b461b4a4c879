package promotion

import (
	"fmt"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
)

// Start moves a Pending Promotion to Running. It reports false when the Promotion had
// already started.
func Start(p *v1.Promotion, now time.Time) bool {
	if p.Status.Phase != v1.PhasePending && p.Status.Phase != "" {
		return false
	}
	now = now.UTC()
	p.Status.Phase = v1.PhaseRunning
	p.Status.StartedAt = &now
	return true
}

// Record applies one attempt's result to the Promotion, classifying it as docs/steps/README.md#statuses-and-retries says.
// It reports false, changing nothing, when the result is stale: the Promotion has finished,
// the step is not the current one, or that attempt is already recorded. So recording is
// idempotent, and a redelivered result is recorded once.
func Record(p *v1.Promotion, r *v1.StepResult, now time.Time) bool {
	if p.Status.Finished() || r.Attempt < 1 || r.Step < 0 || r.Step >= len(p.Spec.Steps) || r.Step < p.Status.CurrentStep {
		return false
	}
	// Steps run in order: a result for a step whose predecessor has not finished is not ours.
	meta := p.Status.StepExecutionMetadata
	if r.Step > 0 && (len(meta) < r.Step || meta[r.Step-1].FinishedAt == nil) {
		return false
	}
	for len(p.Status.StepExecutionMetadata) <= r.Step {
		i := len(p.Status.StepExecutionMetadata)
		p.Status.StepExecutionMetadata = append(p.Status.StepExecutionMetadata, v1.StepExecutionMetadata{
			Alias: p.Spec.Steps[i].As, Uses: p.Spec.Steps[i].Uses, ContinueOnError: p.Spec.Steps[i].ContinueOnError,
		})
	}
	m := &p.Status.StepExecutionMetadata[r.Step]
	if r.Attempt <= m.Attempts || m.FinishedAt != nil {
		return false
	}
	step := p.Spec.Steps[r.Step]
	m.Attempts = r.Attempt
	if m.StartedAt == nil {
		started := r.StartedAt.UTC()
		m.StartedAt = &started
	}
	m.Executor, m.Config, m.Reason = r.Executor, r.Config, r.Reason
	p.Status.CurrentStep = r.Step
	if r.Workspace > p.Status.Workspace {
		p.Status.Workspace = r.Workspace
	}
	if r.Outputs != nil {
		if p.Status.State == nil {
			p.Status.State = map[string]map[string]any{}
		}
		p.Status.State[step.As] = r.Outputs
		// compose-output inside a task exports its keys as outputs.<task> (docs/resources.md#outputs-of-a-task).
		if task, _ := TaskOf(step.As); task != "" && step.Uses == "compose-output" && r.Status == v1.StepSucceeded {
			merged := map[string]any{}
			for k, v := range p.Status.State[task] {
				merged[k] = v
			}
			for k, v := range r.Outputs {
				merged[k] = v
			}
			p.Status.State[task] = merged
		}
	}

	finish := func(status, msg string) {
		finished := r.FinishedAt.UTC()
		m.Status, m.Message, m.FinishedAt = status, msg, &finished
	}
	m.NextAttemptAt = nil
	switch {
	case !validStatus[r.Status]:
		finish(v1.StepErrored, fmt.Sprintf("step %q returned an invalid status %q", step.As, r.Status))
		return true
	case r.Status == v1.StepSucceeded || r.Status == v1.StepSkipped:
		finish(r.Status, r.Message)
		return true
	case r.Status == v1.StepFailed && r.Terminal:
		finish(v1.StepFailed, r.Message)
		return true
	case r.Terminal:
		finish(v1.StepErrored, "an unrecoverable error occurred: "+r.Message)
		return true
	case r.Status == v1.StepErrored || r.Status == v1.StepFailed && r.Message != "":
		status := r.Status
		msg := r.Message
		if msg == "" {
			msg = "no details provided"
		}
		m.ErrorCount++
		if threshold := ErrorThreshold(step); m.ErrorCount >= threshold {
			finish(status, fmt.Sprintf("step %q met error threshold of %d: %s", step.As, threshold, msg))
			return true
		}
		m.Status, m.Message = status, msg+"; step will be retried"
		m.NextAttemptAt = at(now.Add(Backoff(m.ErrorCount)))
	default: // Running, or Failed without an error: not finished
		m.Status, m.Message = v1.StepRunning, r.Message
		m.NextAttemptAt = at(now.Add(PollDelay(r.RetryAfter)))
	}
	timeout := Timeout(step)
	if timeout > 0 && now.Sub(*m.StartedAt) > timeout {
		finish(v1.StepErrored, fmt.Sprintf("step %q timed out after %s", step.As, timeout))
		m.NextAttemptAt = nil
	} else if timeout > 0 && m.NextAttemptAt.After(m.StartedAt.Add(timeout)) {
		m.NextAttemptAt = at(m.StartedAt.Add(timeout)) // never wait past the timeout
	}
	return true
}

var validStatus = map[string]bool{
	v1.StepSucceeded: true, v1.StepSkipped: true, v1.StepRunning: true, v1.StepFailed: true, v1.StepErrored: true,
}

// PollDelay is how long a Running step waits before it runs again (docs/steps/README.md#statuses-and-retries): its
// retryAfter, at least 10s; 5m when it suggested none.
func PollDelay(retryAfter string) time.Duration {
	d, err := time.ParseDuration(retryAfter)
	if err != nil || d <= 0 {
		return 5 * time.Minute
	}
	return max(d, 10*time.Second)
}

func at(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}

// ErrorThreshold is the step's retry.errorThreshold, default 1.
func ErrorThreshold(s v1.PromotionStep) int {
	if s.Retry != nil && s.Retry.ErrorThreshold > 0 {
		return int(s.Retry.ErrorThreshold)
	}
	return 1
}

// Timeout is the step's retry.timeout; when unset, the built-in step's default
// (steps.DefaultTimeout: 5m for argocd-update and argocd-wait), else 0. It is 0 when
// unparsable (manifests are validated before they get here).
func Timeout(s v1.PromotionStep) time.Duration {
	if s.Retry == nil || s.Retry.Timeout == "" {
		return steps.DefaultTimeout(s.Uses)
	}
	d, _ := time.ParseDuration(s.Retry.Timeout)
	return d
}

// Abort stops a Promotion that has not finished (docs/resources.md#promotion): a step that started and
// did not finish becomes Aborted, and the Promotion ends Aborted with the message
// "Promotion terminated by <actor>". It reports false for a finished Promotion.
func Abort(p *v1.Promotion, actor string, now time.Time) bool {
	if p.Status.Finished() {
		return false
	}
	now = now.UTC()
	// The step Next would run is under way (its job may be running now) even when no result
	// of it is recorded yet.
	if act := Next(p, now); act.Kind == RunStep {
		for len(p.Status.StepExecutionMetadata) <= act.Step {
			i := len(p.Status.StepExecutionMetadata)
			p.Status.StepExecutionMetadata = append(p.Status.StepExecutionMetadata, v1.StepExecutionMetadata{
				Alias: p.Spec.Steps[i].As, Uses: p.Spec.Steps[i].Uses, ContinueOnError: p.Spec.Steps[i].ContinueOnError,
			})
		}
		if m := &p.Status.StepExecutionMetadata[act.Step]; m.StartedAt == nil {
			m.StartedAt = &now
		}
	}
	for i := range p.Status.StepExecutionMetadata {
		if m := &p.Status.StepExecutionMetadata[i]; m.FinishedAt == nil {
			m.Status, m.FinishedAt, m.NextAttemptAt = v1.StepAborted, &now, nil
			m.Message = "aborted"
		}
	}
	if actor == "" {
		actor = "unknown"
	}
	p.Status.Phase, p.Status.Message, p.Status.FinishedAt = v1.PhaseAborted, "Promotion terminated by "+actor, &now
	return true
}
