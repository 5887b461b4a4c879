package v1

import "time"

// Freight event types beyond freight.created.
const (
	// TypeFreightVerified: a Freight was verified in a Stage, so downstream Stages may take it.
	TypeFreightVerified = "dev.dray.freight.verified"
	// TypeFreightVerificationFailed: a Stage's verification of its Freight failed or cannot run.
	TypeFreightVerificationFailed = "dev.dray.freight.verification.failed"
	// TypeFreightApproved: a user approved a Freight for a Stage.
	TypeFreightApproved = "dev.dray.freight.approved"
)

// ApproveCommand approves a Freight for a Stage, making it available there whatever the
// upstream Stages say (RESOURCES.md §3.3): published on dray.cmd.<project>.approve. Approval
// creates no Promotion; an auto-promoting Stage then promotes it.
type ApproveCommand struct {
	Project string `json:"project"`
	// Freight is a Freight name or alias.
	Freight string `json:"freight"`
	Stage   string `json:"stage"`
	// Actor is who approves, e.g. email:alice@example.com.
	Actor string `json:"actor,omitempty"`
	// Reason says why, for the record.
	Reason string `json:"reason,omitempty"`
}

// Freight record operations.
const (
	FreightApprove = "approve"
)

// FreightRecord asks the state service to change a Freight's status: published on
// dray.results.<project>.freight by the scheduler.
type FreightRecord struct {
	Op      string `json:"op"`
	Project string `json:"project"`
	Freight string `json:"freight"`
	Stage   string `json:"stage"`
	Actor   string `json:"actor,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// At is when it was asked.
	At *time.Time `json:"at,omitempty"`
}

// StageHistoryEntry is one Freight a Stage received: which, when, through which Promotion and
// by whose hand.
type StageHistoryEntry struct {
	Freight   string     `json:"freight"`
	Alias     string     `json:"alias,omitempty"`
	Promotion string     `json:"promotion"`
	Actor     string     `json:"actor,omitempty"`
	Since     *time.Time `json:"since,omitempty"`
}

// MaxStageHistory is how many entries StageStatus.FreightHistory keeps.
const MaxStageHistory = 10
