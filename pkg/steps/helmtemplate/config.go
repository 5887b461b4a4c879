package helmtemplate

// Config is the config of helm-template, as described by schemas/steps/helm-template.json.
type Config struct {
	// Path is the chart directory, relative to the workspace.
	Path string `json:"path"`
	// ReleaseName is the release's name.
	ReleaseName string `json:"releaseName"`
	// OutPath is a .yaml or .yml file, or else a directory, relative to the workspace.
	OutPath string `json:"outPath"`
	// OutLayout is the layout of a directory outPath: helm (default) or flat.
	OutLayout string `json:"outLayout,omitempty"`
	// UseReleaseName names the top directory of the helm layout after the release, not the
	// chart.
	UseReleaseName bool `json:"useReleaseName,omitempty"`
	// Namespace is the release's namespace. Default: the project's name.
	Namespace string `json:"namespace,omitempty"`
	// ValuesFiles are applied after the chart's values.yaml, in order.
	ValuesFiles []string `json:"valuesFiles,omitempty"`
	// IgnoreMissingValueFiles skips absent values files instead of failing.
	IgnoreMissingValueFiles bool `json:"ignoreMissingValueFiles,omitempty"`
	// SetValues are applied last, as helm's --set or --set-literal.
	SetValues []SetValue `json:"setValues,omitempty"`
	// BuildDependencies fetches the chart's dependencies before rendering.
	BuildDependencies bool `json:"buildDependencies,omitempty"`
	// IncludeCRDs renders the charts' crds/ too.
	IncludeCRDs bool `json:"includeCRDs,omitempty"`
	// DisableHooks leaves hooks out.
	DisableHooks bool `json:"disableHooks,omitempty"`
	// SkipTests leaves test hooks out.
	SkipTests bool `json:"skipTests,omitempty"`
	// KubeVersion is the Kubernetes version the templates see.
	KubeVersion string `json:"kubeVersion,omitempty"`
	// APIVersions are added to the API versions the templates see.
	APIVersions []string `json:"apiVersions,omitempty"`
}

// SetValue is one --set or --set-literal.
type SetValue struct {
	// Key is a helm --set key, e.g. image.tag or servers[0].port.
	Key string `json:"key"`
	// Value is the value; without Literal, helm parses it (numbers, booleans, null, lists
	// in {a,b}).
	Value string `json:"value"`
	// Literal sets Value as a string, as --set-literal does.
	Literal bool `json:"literal,omitempty"`
}

// Layouts of a directory outPath.
const (
	LayoutHelm = "helm"
	LayoutFlat = "flat"
)
