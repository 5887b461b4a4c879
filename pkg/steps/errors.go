package steps

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrUnknownStep means no registered step has the name in uses.
	ErrUnknownStep = errors.New("step kind not registered")
	// ErrPathEscape means a path given to a step leads outside the workspace.
	ErrPathEscape = errors.New("path escapes the workspace")
	// ErrInvalidConfig means a step's config does not match its schema.
	ErrInvalidConfig = errors.New("invalid step config")
)

// StepError is an error with a stable CamelCase reason, carried in results and events. Two
// StepErrors match with errors.Is when their reasons are equal, the way nats.go's APIError
// matches by error code.
type StepError struct {
	Reason string
	Err    error
}

func (e *StepError) Error() string { return e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// Is matches a StepError with the same reason.
func (e *StepError) Is(target error) bool {
	t, ok := target.(*StepError)
	return ok && t.Reason == e.Reason
}

// Reasoned wraps err with a stable reason, e.g. Reasoned("PushRejected", err).
func Reasoned(reason string, err error) error { return &StepError{Reason: reason, Err: err} }

// terminalError marks an error that must not be retried.
type terminalError struct{ err error }

func (e *terminalError) Error() string { return e.err.Error() }
func (e *terminalError) Unwrap() error { return e.err }

// Terminal marks err as final: the step finishes Failed and is not retried (Kargo's terminal
// error). Terminal(nil) is nil.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	return &terminalError{err: err}
}

// IsTerminal reports whether err, or an error it wraps, was marked with Terminal.
func IsTerminal(err error) bool {
	var t *terminalError
	return errors.As(err, &t)
}

// failedError is a business failure that may be retried.
type failedError struct{ err error }

func (e *failedError) Error() string { return e.err.Error() }
func (e *failedError) Unwrap() error { return e.err }

// Failed marks err as a business failure that is still retried (docs/steps/README.md#statuses-and-retries, rule 4): the
// attempt is Failed, not Errored, and the step is tried again until retry.errorThreshold. A
// custom step whose command exits non-zero returns it. Terminal(Failed(err)) is not retried.
// Failed(nil) is nil.
func Failed(err error) error {
	if err == nil {
		return nil
	}
	return &failedError{err: err}
}

// waitError asks to be polled again later.
type waitError struct {
	after  time.Duration
	reason string
}

func (e *waitError) Error() string { return fmt.Sprintf("waiting: %s", e.reason) }

// Wait reports that the step is not done yet and should be run again after the given delay
// (Flux's Waiting). The step's retry.timeout bounds the whole wait.
func Wait(after time.Duration, reason string) error { return &waitError{after: after, reason: reason} }

// Outcome is a classified step return: the status to record and what goes with it.
type Outcome struct {
	Status     string
	Terminal   bool
	Reason     string
	Message    string
	RetryAfter time.Duration
}

// Classify turns what Step.Run returned into an Outcome, following the rules of Step.Run.
func Classify(res Result, err error) Outcome {
	if err == nil {
		status := res.Status
		if status == "" {
			status = StatusSucceeded
		}
		return Outcome{Status: status, Message: res.Message}
	}
	var w *waitError
	if errors.As(err, &w) {
		return Outcome{Status: "Running", Message: w.reason, RetryAfter: w.after}
	}
	o := Outcome{Status: "Errored", Message: err.Error(), Reason: reasonOf(err)}
	var f *failedError
	if errors.As(err, &f) {
		o.Status = "Failed"
	}
	if IsTerminal(err) {
		o.Status, o.Terminal = "Failed", true
	}
	return o
}

func reasonOf(err error) string {
	var se *StepError
	switch {
	case errors.As(err, &se):
		return se.Reason
	case errors.Is(err, ErrPathEscape):
		return "PathEscapes"
	case errors.Is(err, ErrInvalidConfig):
		return "InvalidConfig"
	case errors.Is(err, ErrUnknownStep):
		return "UnknownStep"
	}
	return ""
}
