package v1

import "time"

// StepResult is the outcome of one attempt of one step, published by the executor (or by the
// scheduler for steps it runs itself) on dray.results.<project>.step with Nats-Msg-Id
// <promotion>/<step>/<attempt>. The state service records it exactly once.
type StepResult struct {
	Project   string `json:"project"`
	Promotion string `json:"promotion"`
	Step      int    `json:"step"`
	Alias     string `json:"alias"`
	Uses      string `json:"uses,omitempty"`
	Attempt   int    `json:"attempt"`
	// Status is Succeeded, Skipped, Running, Failed or Errored.
	Status string `json:"status"`
	// Terminal means the attempt must not be retried.
	Terminal bool `json:"terminal,omitempty"`
	// Reason is a stable CamelCase word for the outcome, e.g. PushRejected.
	Reason  string         `json:"reason,omitempty"`
	Message string         `json:"message,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
	// Workspace is the workspace revision after the step.
	Workspace int `json:"workspace"`
	// RetryAfter is how long a Running step wants before it is polled again (Go duration).
	RetryAfter string    `json:"retryAfter,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// Executor names the instance that ran the attempt.
	Executor string `json:"executor,omitempty"`
	// Config is the rendered config, secrets redacted.
	Config map[string]any `json:"config,omitempty"`
	// Metadata lists the metadata a set-metadata step sets; the state service applies it
	// when it records the result.
	Metadata []MetadataUpdate `json:"metadata,omitempty"`
}

// MetadataUpdate sets keys of a Stage's or a Freight's status.metadata.
type MetadataUpdate struct {
	// Kind is Stage or Freight.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Values replace the keys they name, whole.
	Values map[string]any `json:"values"`
}

// ID is the result's deduplication ID and Nats-Msg-Id.
func (r *StepResult) ID() string { return AttemptID(r.Promotion, r.Step, r.Attempt) }

// PromotionRecord asks the state service to create a Promotion or to end it. The scheduler
// publishes it on dray.results.<project>.promotion with Nats-Msg-Id <promotion>/<op>.
type PromotionRecord struct {
	// Op is create, finish, abort, supersede or input.
	Op string `json:"op"`
	// Promotion is the whole new Promotion (create only).
	Promotion *Promotion `json:"promotion,omitempty"`
	Project   string     `json:"project"`
	Name      string     `json:"name"`
	// Phase and Message are the final phase and its reason (finish; Message also for
	// supersede).
	Phase   string `json:"phase,omitempty"`
	Message string `json:"message,omitempty"`
	// Actor is who aborted the Promotion (abort only).
	Actor string `json:"actor,omitempty"`
	// Step and Input are the alias of a human step and the approval or answers to record
	// for it (input only).
	Step  string     `json:"step,omitempty"`
	Input *StepInput `json:"input,omitempty"`
	// Front queues the new Promotion ahead of the Stage's others (create only): a
	// verification runs before the next Promotion may start.
	Front bool `json:"front,omitempty"`
}

// Operations of a PromotionRecord.
const (
	RecordCreate = "create"
	RecordFinish = "finish"
	RecordAbort  = "abort"
	// RecordSupersede ends a Pending auto-promotion Superseded (Message says by what); one
	// that started runs on.
	RecordSupersede = "supersede"
	// RecordInput records a person's approval or answers for a human step that is waiting.
	RecordInput = "input"
)
