package argocd

import (
	"encoding/json"
	"time"
)

// Application is the part of an Argo CD Application that Dray reads. Spec is also kept whole
// in RawSpec, so an update sends back every field Dray does not know.
type Application struct {
	Metadata  ObjectMeta        `json:"metadata"`
	Spec      ApplicationSpec   `json:"spec"`
	Status    ApplicationStatus `json:"status"`
	Operation *Operation        `json:"operation,omitempty"`

	// RawSpec is spec as the server sent it.
	RawSpec map[string]any `json:"-"`
}

// UnmarshalJSON decodes the typed fields and keeps spec whole in RawSpec.
func (a *Application) UnmarshalJSON(b []byte) error {
	type plain Application
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var raw struct {
		Spec map[string]any `json:"spec"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*a = Application(p)
	a.RawSpec = raw.Spec
	return nil
}

// ObjectMeta is the Kubernetes metadata of an Application.
type ObjectMeta struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	ResourceVersion string            `json:"resourceVersion,omitempty"`
}

// ApplicationSpec is an Application's desired state: one Source or several Sources.
type ApplicationSpec struct {
	Source     *ApplicationSource  `json:"source,omitempty"`
	Sources    []ApplicationSource `json:"sources,omitempty"`
	SyncPolicy *SyncPolicy         `json:"syncPolicy,omitempty"`
}

// SourceList returns the Application's sources in position order: Sources, or Source alone.
func (s *ApplicationSpec) SourceList() []ApplicationSource {
	if len(s.Sources) > 0 {
		return s.Sources
	}
	if s.Source != nil {
		return []ApplicationSource{*s.Source}
	}
	return nil
}

// MultiSource reports whether the Application uses spec.sources.
func (s *ApplicationSpec) MultiSource() bool { return len(s.Sources) > 0 }

// ApplicationSource is where an Application's manifests come from.
type ApplicationSource struct {
	RepoURL        string           `json:"repoURL"`
	Path           string           `json:"path,omitempty"`
	TargetRevision string           `json:"targetRevision,omitempty"`
	Chart          string           `json:"chart,omitempty"`
	Helm           *SourceHelm      `json:"helm,omitempty"`
	Kustomize      *SourceKustomize `json:"kustomize,omitempty"`
}

// SourceHelm holds Helm options of a source.
type SourceHelm struct {
	Parameters []HelmParameter `json:"parameters,omitempty"`
}

// HelmParameter is one Helm parameter, name=value.
type HelmParameter struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	ForceString bool   `json:"forceString,omitempty"`
}

// SourceKustomize holds Kustomize options of a source.
type SourceKustomize struct {
	// Images are kustomize image overrides, e.g. ghcr.io/x/app=ghcr.io/y/app:v2.
	Images []string `json:"images,omitempty"`
}

// SyncPolicy is when and how an Application syncs.
type SyncPolicy struct {
	Automated   *SyncPolicyAutomated `json:"automated,omitempty"`
	SyncOptions []string             `json:"syncOptions,omitempty"`
	Retry       *RetryStrategy       `json:"retry,omitempty"`
}

// SyncPolicyAutomated is an automated sync policy.
type SyncPolicyAutomated struct {
	Prune    bool `json:"prune,omitempty"`
	SelfHeal bool `json:"selfHeal,omitempty"`
}

// RetryStrategy is how a failed sync is retried; kept as the server sent it.
type RetryStrategy struct {
	Limit   int64          `json:"limit,omitempty"`
	Backoff map[string]any `json:"backoff,omitempty"`
}

// ApplicationStatus is what Argo CD observed of an Application.
type ApplicationStatus struct {
	Sync           SyncStatus      `json:"sync"`
	Health         HealthStatus    `json:"health"`
	OperationState *OperationState `json:"operationState,omitempty"`
	ReconciledAt   *time.Time      `json:"reconciledAt,omitempty"`
	Conditions     []Condition     `json:"conditions,omitempty"`
}

// Sync statuses.
const (
	SyncSynced    = "Synced"
	SyncOutOfSync = "OutOfSync"
	SyncUnknown   = "Unknown"
)

// SyncStatus compares the live state with the desired one.
type SyncStatus struct {
	Status    string   `json:"status"`
	Revision  string   `json:"revision,omitempty"`
	Revisions []string `json:"revisions,omitempty"`
}

// Health statuses of Argo CD.
const (
	HealthHealthy     = "Healthy"
	HealthProgressing = "Progressing"
	HealthSuspended   = "Suspended"
	HealthDegraded    = "Degraded"
	HealthMissing     = "Missing"
	HealthUnknown     = "Unknown"
)

// HealthStatus is an Application's aggregated health.
type HealthStatus struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// Condition is an Application condition, e.g. ComparisonError.
type Condition struct {
	Type    string `json:"type"`
	Message string `json:"message,omitempty"`
}

// Operation phases.
const (
	OperationRunning     = "Running"
	OperationTerminating = "Terminating"
	OperationFailed      = "Failed"
	OperationError       = "Error"
	OperationSucceeded   = "Succeeded"
)

// Operation is a requested operation, e.g. a sync.
type Operation struct {
	Sync        *SyncOperation `json:"sync,omitempty"`
	Info        []Info         `json:"info,omitempty"`
	InitiatedBy *InitiatedBy   `json:"initiatedBy,omitempty"`
	Retry       *RetryStrategy `json:"retry,omitempty"`
}

// InfoValue returns the value of the operation info entry name, or "".
func (o *Operation) InfoValue(name string) string {
	if o == nil {
		return ""
	}
	for _, i := range o.Info {
		if i.Name == name {
			return i.Value
		}
	}
	return ""
}

// SyncOperation is the sync an operation asks for.
type SyncOperation struct {
	Revision    string   `json:"revision,omitempty"`
	Revisions   []string `json:"revisions,omitempty"`
	Prune       bool     `json:"prune,omitempty"`
	SyncOptions []string `json:"syncOptions,omitempty"`
}

// Info is a name/value pair attached to an operation.
type Info struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// InitiatedBy says who started an operation.
type InitiatedBy struct {
	Username  string `json:"username,omitempty"`
	Automated bool   `json:"automated,omitempty"`
}

// OperationState is the progress of the current or last operation.
type OperationState struct {
	Operation  Operation   `json:"operation"`
	Phase      string      `json:"phase"`
	Message    string      `json:"message,omitempty"`
	SyncResult *SyncResult `json:"syncResult,omitempty"`
	StartedAt  time.Time   `json:"startedAt"`
	FinishedAt *time.Time  `json:"finishedAt,omitempty"`
	RetryCount int64       `json:"retryCount,omitempty"`
}

// Completed reports whether the operation ended (Succeeded, Failed or Error).
func (s *OperationState) Completed() bool {
	switch s.Phase {
	case OperationSucceeded, OperationFailed, OperationError:
		return true
	}
	return false
}

// SyncResult is the outcome of a sync: the revision(s) it synced to.
type SyncResult struct {
	Revision  string   `json:"revision,omitempty"`
	Revisions []string `json:"revisions,omitempty"`
}

// SyncRequest is the body of POST /api/v1/applications/{name}/sync.
type SyncRequest struct {
	Name         string `json:"name"`
	AppNamespace string `json:"appNamespace,omitempty"`
	// Revision is the revision of a single-source Application to sync to.
	Revision string `json:"revision,omitempty"`
	// Revisions and SourcePositions (1-based) are the revisions of a multi-source
	// Application's sources to sync to.
	Revisions       []string       `json:"revisions,omitempty"`
	SourcePositions []int64        `json:"sourcePositions,omitempty"`
	Prune           bool           `json:"prune,omitempty"`
	SyncOptions     *SyncOptions   `json:"syncOptions,omitempty"`
	RetryStrategy   *RetryStrategy `json:"retryStrategy,omitempty"`
	Infos           []Info         `json:"infos,omitempty"`
}

// SyncOptions wraps sync options as the sync request carries them.
type SyncOptions struct {
	Items []string `json:"items,omitempty"`
}
