package v1

import (
	"encoding/json"
	"time"
)

// Event is a CloudEvents 1.0 envelope in JSON. Every event Dray publishes has this shape, on
// dray.events.<project>.<type without "dev.dray.">, with Nats-Msg-Id equal to ID.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	DataSchema      string          `json:"dataschema,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
}

// CloudEvents spec version and the prefix of every Dray event type.
const (
	CloudEventsVersion = "1.0"
	EventTypePrefix    = "dev.dray."
)

// Event types.
const (
	TypePromotionCreated      = "dev.dray.promotion.created"
	TypePromotionStarted      = "dev.dray.promotion.started"
	TypePromotionStepFinished = "dev.dray.promotion.step.finished"
	TypePromotionStepRunning  = "dev.dray.promotion.step.running"
	TypePromotionSucceeded    = "dev.dray.promotion.succeeded"
	TypePromotionFailed       = "dev.dray.promotion.failed"
	TypePromotionErrored      = "dev.dray.promotion.errored"
	TypePromotionAborted      = "dev.dray.promotion.aborted"
	TypePromotionSuperseded   = "dev.dray.promotion.superseded"
	// TypePromotionDiscarded announces a queued Promotion ended Aborted, without running,
	// because its Stage's promotion windows closed (docs/resources.md#promotion-windows).
	TypePromotionDiscarded = "dev.dray.promotion.discarded"
	TypeFreightCreated     = "dev.dray.freight.created"
)

// PromotionEvent is the data of every promotion.* event.
type PromotionEvent struct {
	Project   string `json:"project"`
	Stage     string `json:"stage"`
	Promotion string `json:"promotion"`
	Freight   string `json:"freight"`
	Phase     string `json:"phase"`
	Message   string `json:"message,omitempty"`
	Actor     string `json:"actor,omitempty"`
	// Step is set on step events.
	Step *StepEvent `json:"step,omitempty"`
}

// StepEvent describes the step an event is about.
type StepEvent struct {
	Index   int            `json:"index"`
	Alias   string         `json:"alias"`
	Uses    string         `json:"uses,omitempty"`
	Attempt int            `json:"attempt"`
	Status  string         `json:"status"`
	Message string         `json:"message,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
}

// FreightEvent is the data of freight.* events.
type FreightEvent struct {
	Project string        `json:"project"`
	Freight string        `json:"freight"`
	Alias   string        `json:"alias,omitempty"`
	Origin  FreightOrigin `json:"origin"`
	// Stage is the Stage a verified, verification.failed or approved event is about.
	Stage string `json:"stage,omitempty"`
	// Actor is who approved.
	Actor string `json:"actor,omitempty"`
	// Message says why: an approval's reason, a failed verification's cause.
	Message string `json:"message,omitempty"`
}

// PhaseEventType is the event type announcing that a Promotion reached phase.
func PhaseEventType(phase string) string {
	switch phase {
	case PhaseSucceeded:
		return TypePromotionSucceeded
	case PhaseFailed:
		return TypePromotionFailed
	case PhaseAborted:
		return TypePromotionAborted
	case PhaseSuperseded:
		return TypePromotionSuperseded
	default:
		return TypePromotionErrored
	}
}

// TypeCommandRejected announces a command that could not be carried out, and why.
const TypeCommandRejected = "dev.dray.command.rejected"

// CommandRejected is the data of a command.rejected event.
type CommandRejected struct {
	Project string `json:"project"`
	Command string `json:"command"`
	ID      string `json:"id,omitempty"`
	Stage   string `json:"stage,omitempty"`
	Freight string `json:"freight,omitempty"`
	Message string `json:"message"`
}
