package kustomizebuild

// Config is the config of kustomize-build, as described by
// schemas/steps/kustomize-build.json.
type Config struct {
	// Path is the directory holding the kustomization, relative to the workspace.
	Path string `json:"path"`
	// OutPath is a .yaml or .yml file, or else a directory, relative to the workspace.
	OutPath string `json:"outPath"`
	// OutputFormat names the files of a directory outPath: kargo (default) or kustomize.
	OutputFormat string `json:"outputFormat,omitempty"`
	// Plugin configures kustomize's built-in plugins.
	Plugin *Plugin `json:"plugin,omitempty"`
}

// Plugin configures kustomize's built-in plugins.
type Plugin struct {
	// Helm configures the Helm chart inflation generator.
	Helm *HelmPlugin `json:"helm,omitempty"`
}

// HelmPlugin configures the Helm chart inflation generator.
type HelmPlugin struct {
	// APIVersions are the Kubernetes API versions the charts see (Capabilities.APIVersions).
	APIVersions []string `json:"apiVersions,omitempty"`
	// KubeVersion is the Kubernetes version the charts see (Capabilities.KubeVersion).
	KubeVersion string `json:"kubeVersion,omitempty"`
}

// Output formats of a directory outPath.
const (
	FormatKargo     = "kargo"
	FormatKustomize = "kustomize"
)
