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
	// OverrideWindow starts the Promotion even outside the Stage's promotion windows; the
	// actor is recorded on it.
	OverrideWindow bool `json:"overrideWindow,omitempty"`
	// After schedules the Promotion: it is created at once and waits in the Stage's queue
	// until this time (annotation kargo.akuity.io/promote-after; dray promote --at).
	After *time.Time `json:"after,omitempty"`
}

// AnnotationPromoteAfter schedules a Promotion: it does not start before this RFC 3339 time
// (docs/resources.md#the-queue).
const AnnotationPromoteAfter = "kargo.akuity.io/promote-after"

// AbortCommand asks to stop a Promotion: published on dray.cmd.<project>.abort. A running step
// becomes Aborted, later steps do not run, and the Promotion ends Aborted. Finished Promotions
// ignore it.
type AbortCommand struct {
	Project   string `json:"project"`
	Promotion string `json:"promotion"`
	// Actor is who asks, e.g. email:alice@example.com.
	Actor string `json:"actor,omitempty"`
}

// RefreshCommand asks the warehouse service to run a Warehouse's discovery now, whatever its
// interval: published on dray.cmd.<project>.refresh by the gateway (dray refresh warehouse,
// webhooks) or anyone. Commands with the same ID are handled once.
type RefreshCommand struct {
	Project   string `json:"project"`
	Warehouse string `json:"warehouse"`
	// ID is an idempotency key chosen by the sender; it is recorded as the Warehouse's
	// status.lastHandledRefresh once discovery ran for it.
	ID string `json:"id,omitempty"`
	// Actor is who asks, e.g. email:alice@example.com; empty for automation.
	Actor string `json:"actor,omitempty"`
	// Artifact names what was pushed, when the sender knows (a webhook payload), so discovery
	// can look it up directly. Optional: discovery lists the repository without it.
	Artifact *RefreshArtifact `json:"artifact,omitempty"`
}

// RefreshArtifact is a hint about one pushed artifact. Every field is optional.
type RefreshArtifact struct {
	// RepoURL is the repository that was pushed to.
	RepoURL string `json:"repoURL,omitempty"`
	// Tag is a pushed image or Git tag.
	Tag string `json:"tag,omitempty"`
	// Digest is a pushed image's digest.
	Digest string `json:"digest,omitempty"`
	// Commit is a pushed Git commit ID.
	Commit string `json:"commit,omitempty"`
	// Version is a pushed chart version.
	Version string `json:"version,omitempty"`
}
