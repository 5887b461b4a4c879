package v1

import "time"

// PromoteCommand asks for a Promotion of one Freight to one Stage. Anyone may publish it on
// dray.cmd.<project>.promote; the scheduler creates the Promotion. Two commands with the same
// ID and RequestedAt create one Promotion.
type PromoteCommand struct {
	Project string `json:"project"`
	Stage   string `json:"stage"`
	// Freight is a Freight name or alias.
	Freight string `json:"freight"`
	// Actor is who asks, e.g. email:alice@example.com; empty for automation.
	Actor string `json:"actor,omitempty"`
	// ID is an idempotency key chosen by the sender; it also seeds the Promotion name.
	ID string `json:"id,omitempty"`
	// RequestedAt is when the sender asked; default the time the command was stored.
	RequestedAt *time.Time `json:"requestedAt,omitempty"`
}

// AbortCommand asks to stop a Promotion: published on dray.cmd.<project>.abort. A running step
// becomes Aborted, later steps do not run, and the Promotion ends Aborted. Finished Promotions
// ignore it.
type AbortCommand struct {
	Project   string `json:"project"`
	Promotion string `json:"promotion"`
	// Actor is who asks, e.g. email:alice@example.com.
	Actor string `json:"actor,omitempty"`
}
