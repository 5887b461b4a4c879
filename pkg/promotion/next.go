package promotion

import (
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// ActionKind says what the scheduler must do for a Promotion.
type ActionKind int

const (
	// Nothing: the Promotion has finished.
	Nothing ActionKind = iota
	// RunStep: dispatch attempt Attempt of step Step, not before NotBefore.
	RunStep
	// Finish: record the final Phase and Message.
	Finish
)

// Action is the next thing to do for a Promotion.
type Action struct {
	Kind      ActionKind
	Step      int
	Attempt   int
	NotBefore time.Time
	// First is true when the step has never been attempted: its if condition is evaluated.
	First   bool
	Phase   string
	Message string
}

// Next returns what must happen next. It is a pure function of the recorded Promotion, so
// asking twice gives the same answer, and the scheduler can act on every event without
// remembering anything: a job it sends twice carries the same ID and is stored once.
func Next(p *v1.Promotion, now time.Time) Action {
	if p.Status.Finished() || p.Status.Phase == v1.PhasePending {
		return Action{Kind: Nothing} // a queued Promotion waits for Start
	}
	meta := p.Status.StepExecutionMetadata
	for i := p.Status.CurrentStep; i < len(p.Spec.Steps); i++ {
		if i >= len(meta) {
			return Action{Kind: RunStep, Step: i, Attempt: 1, First: true}
		}
		m := meta[i]
		if m.FinishedAt != nil {
			continue
		}
		a := Action{Kind: RunStep, Step: i, Attempt: m.Attempts + 1, First: m.Attempts == 0}
		if m.NextAttemptAt != nil {
			a.NotBefore = *m.NextAttemptAt
		}
		return a
	}
	phase, msg := FinalPhase(p)
	return Action{Kind: Finish, Phase: phase, Message: msg}
}

// Backoff is the delay before retrying a step that failed n times: 1s doubling, at most 5m.
func Backoff(n int) time.Duration {
	return min(time.Second<<min(max(n-1, 0), 9), 5*time.Minute)
}

// severity orders step statuses for the final phase (docs/steps/README.md#the-promotions-phase).
var severity = map[string]int{
	v1.StepSucceeded: 0, v1.StepSkipped: 1, v1.StepRunning: 2,
	v1.StepAborted: 3, v1.StepFailed: 4, v1.StepErrored: 5,
}

// FinalPhase is the phase a Promotion ends in: that of the worst step among those without
// continueOnError, and the worst step's message.
func FinalPhase(p *v1.Promotion) (phase, message string) {
	worst, msg := v1.StepSucceeded, ""
	for _, m := range p.Status.StepExecutionMetadata {
		if m.ContinueOnError {
			continue
		}
		if severity[m.Status] > severity[worst] {
			worst, msg = m.Status, m.Message
		}
	}
	switch worst {
	case v1.StepAborted:
		return v1.PhaseAborted, msg
	case v1.StepFailed:
		return v1.PhaseFailed, msg
	case v1.StepErrored:
		return v1.PhaseErrored, msg
	}
	return v1.PhaseSucceeded, msg
}

// Failed reports whether a step before step i counts as failed (Failed or Errored without
// continueOnError), which decides success() and failure() for step i.
func Failed(p *v1.Promotion, i int) bool {
	for j, m := range p.Status.StepExecutionMetadata {
		if j >= i {
			break
		}
		if !m.ContinueOnError && (m.Status == v1.StepFailed || m.Status == v1.StepErrored) {
			return true
		}
	}
	return false
}

// StepStatus returns the recorded status of the step with the given alias, or "".
func StepStatus(p *v1.Promotion, alias string) string {
	for _, m := range p.Status.StepExecutionMetadata {
		if m.Alias == alias {
			return m.Status
		}
	}
	return ""
}

// Wake is what waking step of p at now runs (dray wake): the attempt Next would run later,
// now. ok is false when p is not waiting to run that step (it runs another, it runs it
// already, or it is not running): there is nothing to wake.
func Wake(p *v1.Promotion, step int, now time.Time) (act Action, ok bool) {
	act = Next(p, now)
	if act.Kind != RunStep || act.Step != step || !act.NotBefore.After(now) {
		return Action{}, false
	}
	act.NotBefore = time.Time{}
	return act, true
}
