package v1

import "time"

// TypeStageHealthChanged announces that a Stage's health status or issues changed. Its data is
// a StageHealthEvent; it travels on dray.events.<project>.stage.health.changed.
const TypeStageHealthChanged = "dev.dray.stage.health.changed"

// Stage health statuses, from best to worst (docs/resources.md#health): when several health checks
// report, the worst wins.
const (
	HealthHealthy       = "Healthy"
	HealthNotApplicable = "NotApplicable"
	HealthProgressing   = "Progressing"
	HealthUnknown       = "Unknown"
	HealthUnhealthy     = "Unhealthy"
)

// StageHealth is the health of a Stage: the merge of the health checks registered by the last
// successful Promotion (docs/resources.md#health). The argocd executor evaluates it.
type StageHealth struct {
	// Status is Healthy, NotApplicable, Progressing, Unknown or Unhealthy.
	Status string `json:"status"`
	// Issues say why the Stage is not Healthy, one per problem found.
	Issues []string `json:"issues,omitempty"`
	// Config are the health checks evaluated.
	Config []HealthCheck `json:"config,omitempty"`
	// Output is what the checks observed, e.g. applicationStatuses for argocd-update.
	Output map[string]any `json:"output,omitempty"`
	// Promotion names the Promotion whose health checks were evaluated.
	Promotion string `json:"promotion,omitempty"`
	// CheckedAt is when the checks last ran.
	CheckedAt *time.Time `json:"checkedAt,omitempty"`
}

// HealthCheck is a health check a step registered when it succeeded, e.g. argocd-update with
// the Applications it synced. A step registers it as its healthCheck output.
type HealthCheck struct {
	// Uses names the step that registered the check, e.g. argocd-update.
	Uses string `json:"uses"`
	// Config is the check's input, e.g. {apps: [{name, namespace, desiredRevisions}]}.
	Config map[string]any `json:"config,omitempty"`
}

// StageHealthEvent is the data of a stage.health.changed event.
type StageHealthEvent struct {
	Project string `json:"project"`
	Stage   string `json:"stage"`
	// Previous is the status before the change; empty for a Stage's first health.
	Previous string      `json:"previous,omitempty"`
	Health   StageHealth `json:"health"`
}

// HealthSeverity orders health statuses for merging: a higher number is worse. An unknown
// status counts as Unknown.
func HealthSeverity(status string) int {
	switch status {
	case HealthHealthy:
		return 0
	case HealthNotApplicable:
		return 1
	case HealthProgressing:
		return 2
	case HealthUnhealthy:
		return 4
	}
	return 3
}
