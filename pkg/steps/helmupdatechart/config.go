package helmupdatechart

// Config is the config of helm-update-chart, as described by
// schemas/steps/helm-update-chart.json.
type Config struct {
	// Path is the chart directory, relative to the workspace.
	Path string `json:"path"`
	// Charts are the dependency versions to set before the update.
	Charts []Chart `json:"charts,omitempty"`
}

// Chart sets the version of one Chart.yaml dependency.
type Chart struct {
	// Repository is the dependency's repository, exactly as Chart.yaml has it.
	Repository string `json:"repository"`
	// Name is the dependency's name.
	Name string `json:"name"`
	// Version is the new version, or a range.
	Version string `json:"version"`
}
