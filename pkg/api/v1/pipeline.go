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
	// TypeFreightRejected: a user rejected a Freight, for one Stage or all.
	TypeFreightRejected = "dev.dray.freight.rejected"
	// TypeFreightUnrejected: a user took a rejection back.
	TypeFreightUnrejected = "dev.dray.freight.unrejected"
)

// RejectCommand rejects a Freight, or takes a rejection back (Undo): published on
// dray.cmd.<project>.reject (docs/resources.md#freight-rejection). A rejected Freight is not
// promoted, by a person or by auto-promotion.
type RejectCommand struct {
	Project string `json:"project"`
	// Freight is a Freight name or alias.
	Freight string `json:"freight"`
	// Stage limits the rejection to one Stage; empty rejects the Freight for every Stage.
	Stage string `json:"stage,omitempty"`
	// Actor is who rejects, e.g. email:alice@example.com.
	Actor string `json:"actor,omitempty"`
	// Reason says why; promotions refused because of the rejection repeat it.
	Reason string `json:"reason,omitempty"`
	// Undo takes the rejection (for Stage, or for every Stage) back.
	Undo bool `json:"undo,omitempty"`
}

// ApproveCommand approves a Freight for a Stage, making it available there whatever the
// upstream Stages say (docs/resources.md#approvals): published on dray.cmd.<project>.approve. Approval
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
	FreightApprove  = "approve"
	FreightReject   = "reject"
	FreightUnreject = "unreject"
)

// FreightRecord asks the state service to change a Freight's status: published on
// dray.results.<project>.freight by the scheduler.
type FreightRecord struct {
	Op      string `json:"op"`
	Project string `json:"project"`
	Freight string `json:"freight"`
	// Stage is the Stage approved for; for reject and unreject, the Stage or empty for all.
	Stage  string `json:"stage"`
	Actor  string `json:"actor,omitempty"`
	Reason string `json:"reason,omitempty"`
	// At is when it was asked.
	At *time.Time `json:"at,omitempty"`
}

// StageHistoryEntry is one Freight a Stage received: which, when, through which Promotion and
// by whose hand.
type StageHistoryEntry struct {
	Freight string `json:"freight"`
	// Origin is the Freight's origin: a Stage holds one Freight per origin it requests.
	Origin    FreightOrigin `json:"origin,omitzero"`
	Alias     string        `json:"alias,omitempty"`
	Promotion string        `json:"promotion"`
	Actor     string        `json:"actor,omitempty"`
	Since     *time.Time    `json:"since,omitempty"`
	// Rollback is true when an auto-rollback Promotion delivered the Freight.
	Rollback bool `json:"rollback,omitempty"`
}

// MaxStageHistory is how many entries StageStatus.FreightHistory keeps.
const MaxStageHistory = 10

// ActorAutoPromotion is the actor recorded on the Promotions that auto-promotion creates.
const ActorAutoPromotion = "system:auto-promotion"

// ActorAutoRollback is the actor recorded on the Promotions that auto-rollback creates.
const ActorAutoRollback = "system:auto-rollback"

// AnnotationRollback marks a Promotion that rolls its Stage back to Freight it held before
// (value "true"), as Kargo marks its auto-rollback Promotions.
const AnnotationRollback = "kargo.akuity.io/rollback"

// AnnotationVerifies marks a verification run: a Promotion whose steps are its Stage's
// verification steps. Its value names what it verifies: the Promotion that delivered the
// Freight, or "reverify/<id>" for a dray verify.
const AnnotationVerifies = "dray.dev/verifies"

// VerifyCommand re-runs a Stage's verification of its current Freight: published on
// dray.cmd.<project>.verify.
type VerifyCommand struct {
	Project string `json:"project"`
	Stage   string `json:"stage"`
	// Actor is who asks, e.g. email:alice@example.com.
	Actor string `json:"actor,omitempty"`
	// ID tells requests apart; the same ID is one verification run.
	ID string `json:"id,omitempty"`
}

// Kinds of PromotionWindow: Kargo writes Allow and Deny; allow and deny are read the same.
const (
	WindowAllow = "Allow"
	WindowDeny  = "Deny"
)

// PromotionWindow gates Promotions to the Stages it selects by time (docs/resources.md,
// "Promotion windows"). Kargo's form is an RFC 5545 recurrence: each occurrence starts as
// RRule repeats DTStart and lasts DTEnd-DTStart; without RRule it is the one interval
// DTStart to DTEnd. Dray's earlier form, a cron Schedule with a Duration, is still read.
// An active Deny window (a freeze) stops Promotions from starting; when any Allow window
// applies, Promotions start only while one is active. Windows gate automatic, manual and
// rollback Promotions alike; a manual promote may override them, which is recorded and
// audited.
type PromotionWindow struct {
	// Name identifies the window in messages and events, e.g. friday-freeze.
	Name string `json:"name,omitempty"`
	// Kind is Allow or Deny (allow and deny also work).
	Kind string `json:"kind"`
	// StageSelector selects the Stages the window applies to, by name (exact, glob: or
	// regex:) and labels; absent selects every Stage in scope.
	StageSelector *StageSelector `json:"stageSelector,omitempty"`
	// ProjectSelector selects the projects a ClusterConfig window applies to, by name and
	// labels; absent selects every project. Not allowed on a ProjectConfig or Stage.
	ProjectSelector *StageSelector `json:"projectSelector,omitempty"`
	// RRule is an RFC 5545 recurrence rule, e.g. FREQ=WEEKLY;BYDAY=FR, that repeats the
	// interval DTStart to DTEnd; absent means that interval happens once.
	RRule string `json:"rrule,omitempty"`
	// DTStart is when the first occurrence starts, as an iCal date-time with an optional
	// time zone, e.g. TZID=America/New_York:20260101T090000 or 20260101T090000Z; without
	// either it is read in UTC.
	DTStart string `json:"dtstart,omitempty"`
	// DTEnd is when the first occurrence ends, in DTStart's form; DTEnd-DTStart is how long
	// every occurrence lasts.
	DTEnd string `json:"dtend,omitempty"`
	// Schedule is Dray's earlier form: a five-field cron expression (minute hour
	// day-of-month month day-of-week) at which the window opens. Use rrule instead.
	Schedule string `json:"schedule,omitempty"`
	// Duration is how long a Schedule window stays open after each activation, e.g. 2h.
	Duration string `json:"duration,omitempty"`
	// TimeZone is the IANA zone a Schedule is read in; default UTC.
	TimeZone string `json:"timeZone,omitempty"`
	// Stages is Dray's earlier name for StageSelector.
	Stages *StageSelector `json:"stages,omitempty"`
	// KeepPending keeps the Stage's queued Promotions when this window closes it (a Deny
	// window begins, or this Allow window ends): they wait for the next opening. By default
	// they are discarded then (docs/resources.md#promotion-windows). Dray's own field.
	KeepPending bool `json:"keepPending,omitempty"`
}

// PromotionWindowStatus is what a Stage's promotion windows say now: computed from every
// window that applies to the Stage whenever the Stage is read, so it is advisory; the queue
// decides again when a Promotion would start.
type PromotionWindowStatus struct {
	// Closed is true while the windows forbid Promotions to the Stage.
	Closed bool `json:"closed"`
	// Reason says why they are closed, naming the window responsible.
	Reason string `json:"reason,omitempty"`
	// NextOpen is when they open again; absent when closed with no known reopening.
	NextOpen *time.Time `json:"nextOpen,omitempty"`
	// NextClose is when they next close while open; absent when nothing will close them.
	NextClose *time.Time `json:"nextClose,omitempty"`
	// NextCloseReason names the window that closes them at NextClose.
	NextCloseReason string `json:"nextCloseReason,omitempty"`
}

// Annotations recording who started a Promotion outside its promotion windows, and what the
// windows said then.
const (
	AnnotationWindowOverride       = "dray.dev/window-override"
	AnnotationWindowOverrideReason = "dray.dev/window-override-reason"
)

// StageCommand pauses or resumes a Stage: published on dray.cmd.<project>.pause or
// dray.cmd.<project>.resume. A paused Stage starts no Promotion; they queue until it resumes.
type StageCommand struct {
	Project string `json:"project"`
	Stage   string `json:"stage"`
	Actor   string `json:"actor,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Stage record operations.
const (
	StagePause  = "pause"
	StageResume = "resume"
	// StageHealthy says the Stage became Healthy: a verification waiting for that
	// (StageStatus.VerifyWhenHealthy) runs.
	StageHealthy = "healthy"
	// StageClearHolds drops the Stage's auto-promotion holds: auto-promotion is off there.
	StageClearHolds = "clear-holds"
	// StageDelete says the Stage's resource was deleted: the state service aborts and
	// deletes its Promotions, forgets the Stage in its Freight's status and drops its status
	// (docs/resources.md, "Deleting resources"). Published by the gateway.
	StageDelete = "delete"
)

// StageRecord asks the state service to change a Stage's status: published on
// dray.results.<project>.stage by the scheduler (by the gateway for StageDelete).
type StageRecord struct {
	Op      string     `json:"op"`
	Project string     `json:"project"`
	Stage   string     `json:"stage"`
	Actor   string     `json:"actor,omitempty"`
	Reason  string     `json:"reason,omitempty"`
	At      *time.Time `json:"at,omitempty"`
}

// StagePaused says who paused a Stage, when and why.
type StagePaused struct {
	By     string     `json:"by,omitempty"`
	Reason string     `json:"reason,omitempty"`
	At     *time.Time `json:"at,omitempty"`
}

// Stage event types.
const (
	TypeStagePaused  = "dev.dray.stage.paused"
	TypeStageResumed = "dev.dray.stage.resumed"
	// TypeStageRollbackStarted: auto-rollback created a Promotion that returns the Stage to
	// its last stable Freight of an origin.
	TypeStageRollbackStarted = "dev.dray.stage.rollback.started"
	// TypeStageRollbackSkipped: a failure auto-rollback would answer is not rolled back
	// (message says why: a rollback failed, no stable Freight, the origin is held, …).
	TypeStageRollbackSkipped = "dev.dray.stage.rollback.skipped"
)

// StageEvent is the data of stage.paused, stage.resumed and stage.rollback.* events.
type StageEvent struct {
	Project string `json:"project"`
	Stage   string `json:"stage"`
	Actor   string `json:"actor,omitempty"`
	Message string `json:"message,omitempty"`
	// Freight is, for a rollback, the Freight the Stage returns to.
	Freight string `json:"freight,omitempty"`
	// Promotion is, for a rollback, the rollback Promotion (started) or the failed one
	// (skipped).
	Promotion string `json:"promotion,omitempty"`
}

// WakeCommand asks for the waiting attempt of a Promotion's step to run now instead of at its
// next poll: published on dray.cmd.<project>.wake, e.g. by the gateway when a provider's
// webhook says the pull request a git-wait-for-pr step waits for changed.
type WakeCommand struct {
	Project   string `json:"project"`
	Promotion string `json:"promotion"`
	// Step is the index of the waiting step.
	Step int `json:"step"`
	// Reason says what happened, for the log.
	Reason string `json:"reason,omitempty"`
	// ID tells deliveries apart; the same ID wakes once.
	ID string `json:"id,omitempty"`
}
