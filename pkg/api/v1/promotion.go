package v1

import "time"

// Promotion moves one Freight into one Stage by running the Stage's steps.
type Promotion struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta      `json:"metadata"`
	Spec     PromotionSpec   `json:"spec"`
	Status   PromotionStatus `json:"status,omitzero"`
}

// PromotionSpec is copied from the Stage when the Promotion is created; tasks are inflated, and
// every step has an alias.
type PromotionSpec struct {
	Stage   string               `json:"stage"`
	Freight string               `json:"freight"`
	Vars    []ExpressionVariable `json:"vars,omitempty"`
	Steps   []PromotionStep      `json:"steps,omitempty"`
}

// PromotionStep is one step of a promotion template: exactly one of Uses or Task.
type PromotionStep struct {
	// Uses names a built-in step or a CustomPromotionStep.
	Uses string `json:"uses,omitempty"`
	// Task references a PromotionTask or ClusterPromotionTask (templates only).
	Task *PromotionTaskReference `json:"task,omitempty"`
	// As is the step's alias; default step-<index+1>.
	As string `json:"as,omitempty"`
	// If is an expression that must evaluate to a boolean; empty means ${{ success() }}.
	If string `json:"if,omitempty"`
	// ContinueOnError keeps a failure of this step from failing the Promotion.
	ContinueOnError bool `json:"continueOnError,omitempty"`
	// Retry bounds attempts and wall-clock time.
	Retry *PromotionStepRetry `json:"retry,omitempty"`
	// Vars are step-scoped variables.
	Vars []ExpressionVariable `json:"vars,omitempty"`
	// Config is step-specific; string values may hold expressions.
	Config map[string]any `json:"config,omitempty"`
}

// PromotionTaskReference names a task.
type PromotionTaskReference struct {
	Name string `json:"name"`
	// Kind is PromotionTask (default) or ClusterPromotionTask.
	Kind string `json:"kind,omitempty"`
}

// PromotionStepRetry bounds a step's attempts.
type PromotionStepRetry struct {
	// ErrorThreshold is the number of failed attempts after which the step finishes; default 1.
	ErrorThreshold uint32 `json:"errorThreshold,omitempty"`
	// Timeout bounds the wall-clock time from the step's first start; a Go duration.
	Timeout string `json:"timeout,omitempty"`
}

// Promotion phases.
const (
	PhasePending   = "Pending"
	PhaseRunning   = "Running"
	PhaseSucceeded = "Succeeded"
	PhaseFailed    = "Failed"
	PhaseErrored   = "Errored"
	PhaseAborted   = "Aborted"
	// PhaseSuperseded ends a queued auto-promotion that a newer candidate replaced before
	// it started (a Dray extension; docs/resources.md#auto-promotion).
	PhaseSuperseded = "Superseded"
)

// PromotionStatus is written by the state service only.
type PromotionStatus struct {
	Phase      string     `json:"phase,omitempty"`
	Message    string     `json:"message,omitempty"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// CurrentStep is the index of the step being run.
	CurrentStep int `json:"currentStep,omitempty"`
	// Freight is the Freight being promoted, as it was at creation.
	Freight *Freight `json:"freight,omitempty"`
	// Collection is the other Freight the Stage held when the Promotion was created, one per
	// origin besides the promoted Freight's: with it, the Promotion's Freight collection,
	// which imageFrom, commitFrom and chartFrom search (docs/expressions.md#freight).
	Collection []Freight `json:"collection,omitempty"`
	// Rollback is true when the Promotion moves the Stage back to Freight it held before
	// (in its freightHistory, but not the newest of its origin): ctx.meta.promotion.rollback.
	Rollback bool `json:"rollback,omitempty"`
	// StepExecutionMetadata has one entry per step reached, in step order.
	StepExecutionMetadata []StepExecutionMetadata `json:"stepExecutionMetadata,omitempty"`
	// State maps step aliases to their outputs.
	State map[string]map[string]any `json:"state,omitempty"`
	// Workspace is the latest revision of the promotion's workspace.
	Workspace int `json:"workspace,omitempty"`
}

// Step statuses.
const (
	StepSucceeded = "Succeeded"
	StepSkipped   = "Skipped"
	StepRunning   = "Running"
	StepFailed    = "Failed"
	StepErrored   = "Errored"
	StepAborted   = "Aborted"
)

// StepExecutionMetadata records how one step went.
type StepExecutionMetadata struct {
	Alias      string     `json:"alias"`
	Uses       string     `json:"uses,omitempty"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Attempts counts the results recorded for the step.
	Attempts int `json:"attempts,omitempty"`
	// ErrorCount counts failed attempts.
	ErrorCount      int    `json:"errorCount,omitempty"`
	Status          string `json:"status,omitzero"`
	Reason          string `json:"reason,omitempty"`
	Message         string `json:"message,omitempty"`
	ContinueOnError bool   `json:"continueOnError,omitempty"`
	// NextAttemptAt is when an unfinished step runs again: after its retryAfter when it is
	// waiting, after a backoff when it failed.
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// Executor is the executor instance that produced the last result.
	Executor string `json:"executor,omitempty"`
	// Config is the rendered config of the last attempt, secrets redacted.
	Config map[string]any `json:"config,omitempty"`
	// Inputs are the approvals or answers people gave a human step (wait-for-approval,
	// get-user-input), in the order they were recorded.
	Inputs []StepInput `json:"inputs,omitempty"`
}

// Finished reports whether the Promotion reached a terminal phase.
func (s *PromotionStatus) Finished() bool {
	switch s.Phase {
	case PhaseSucceeded, PhaseFailed, PhaseErrored, PhaseAborted, PhaseSuperseded:
		return true
	}
	return false
}
