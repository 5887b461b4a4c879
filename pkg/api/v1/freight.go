package v1

import "time"

// Freight is a set of artifact versions (images, commits, charts) promoted together. Its name is
// derived from its content, so the same artifacts from the same origin are always one Freight.
type Freight struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta `json:"metadata"`
	// Alias is a human-friendly, mutable, project-unique name (mirrors the kargo.akuity.io/alias label).
	Alias string `json:"alias,omitempty"`
	// DiscoveredAt orders Freight from newest to oldest; it defaults to the creation time.
	DiscoveredAt *time.Time `json:"discoveredAt,omitempty"`
	// Origin is the Warehouse that produced the Freight.
	Origin FreightOrigin `json:"origin"`
	// Commits are the Git commits in the Freight.
	Commits []GitCommit `json:"commits,omitempty"`
	// Images are the container images in the Freight.
	Images []Image `json:"images,omitempty"`
	// Charts are the Helm charts in the Freight.
	Charts []Chart `json:"charts,omitempty"`
	// Artifacts are the artifacts of generic subscriptions in the Freight.
	Artifacts []GenericArtifact `json:"artifacts,omitempty"`
	// Status is written by Dray only.
	Status FreightStatus `json:"status,omitzero"`
}

// FreightOrigin names where Freight comes from. Kind is always Warehouse.
type FreightOrigin struct {
	// Kind is Warehouse.
	Kind string `json:"kind"`
	// Name is the Warehouse's name.
	Name string `json:"name"`
}

// GitCommit is one Git commit in a Freight.
type GitCommit struct {
	RepoURL          string `json:"repoURL"`
	ID               string `json:"id,omitempty"`
	Branch           string `json:"branch,omitempty"`
	Tag              string `json:"tag,omitempty"`
	Message          string `json:"message,omitempty"`
	Author           string `json:"author,omitempty"`
	Committer        string `json:"committer,omitempty"`
	SubscriptionName string `json:"subscriptionName,omitempty"`
}

// Image is one container image in a Freight.
type Image struct {
	RepoURL          string            `json:"repoURL"`
	Tag              string            `json:"tag,omitempty"`
	Digest           string            `json:"digest,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
	SubscriptionName string            `json:"subscriptionName,omitempty"`
}

// Chart is one Helm chart in a Freight.
type Chart struct {
	RepoURL          string `json:"repoURL"`
	Name             string `json:"name,omitempty"`
	Version          string `json:"version,omitempty"`
	SubscriptionName string `json:"subscriptionName,omitempty"`
}

// GenericArtifact is one artifact of a generic subscription in a Freight, as artifactFrom()
// returns it.
type GenericArtifact struct {
	ArtifactType     string         `json:"artifactType"`
	SubscriptionName string         `json:"subscriptionName"`
	Version          string         `json:"version"`
	Metadata         map[string]any `json:"metadata,omitempty"`
}

// FreightStatus records where a Freight is, where it was verified and where it is approved.
type FreightStatus struct {
	CurrentlyIn map[string]CurrentStage  `json:"currentlyIn,omitempty"`
	VerifiedIn  map[string]VerifiedStage `json:"verifiedIn,omitempty"`
	ApprovedFor map[string]ApprovedStage `json:"approvedFor,omitempty"`
	Metadata    map[string]any           `json:"metadata,omitempty"`
	// Rejected, when set, keeps the Freight from being promoted to any Stage
	// (docs/resources.md#freight-rejection).
	Rejected *FreightRejection `json:"rejected,omitempty"`
	// RejectedFor keeps the Freight from being promoted to the Stages it names.
	RejectedFor map[string]FreightRejection `json:"rejectedFor,omitempty"`
}

// FreightRejection says who rejected a Freight, when and why.
type FreightRejection struct {
	// By is who rejected it, e.g. email:alice@example.com.
	By     string     `json:"by,omitempty"`
	Reason string     `json:"reason,omitempty"`
	At     *time.Time `json:"at,omitempty"`
}

// CurrentStage says since when a Freight is in a Stage.
type CurrentStage struct {
	Since *time.Time `json:"since,omitempty"`
}

// VerifiedStage says when a Freight was verified in a Stage and its longest soak there.
type VerifiedStage struct {
	VerifiedAt  *time.Time `json:"verifiedAt,omitempty"`
	LongestSoak string     `json:"longestSoak,omitempty"`
}

// ApprovedStage says when a Freight was approved for a Stage.
type ApprovedStage struct {
	ApprovedAt *time.Time `json:"approvedAt,omitempty"`
	// By is who approved, e.g. email:alice@example.com.
	By string `json:"by,omitempty"`
	// Reason is why, as they said.
	Reason string `json:"reason,omitempty"`
}
