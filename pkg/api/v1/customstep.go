package v1

// CustomPromotionStep registers a container image as a step kind (uses: <name>).
type CustomPromotionStep struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta              `json:"metadata"`
	Spec     CustomPromotionStepSpec `json:"spec"`
}

// CustomPromotionStepSpec says what to run and how to read its output.
type CustomPromotionStepSpec struct {
	Image                 string                 `json:"image"`
	Command               []string               `json:"command"`
	Env                   []ExpressionVariable   `json:"env,omitempty"`
	Output                *CustomStepOutput      `json:"output,omitempty"`
	DefaultTimeout        string                 `json:"defaultTimeout,omitempty"`
	DefaultErrorThreshold uint32                 `json:"defaultErrorThreshold,omitempty"`
	Capabilities          []string               `json:"capabilities,omitempty"`
	Resources             *ResourceRequirements  `json:"resources,omitempty"`
	ImagePullSecrets      []LocalObjectReference `json:"imagePullSecrets,omitempty"`
}

// CustomStepOutput says where a custom step writes its output and in what format.
type CustomStepOutput struct {
	Source    *CustomStepOutputSource `json:"source,omitempty"`
	Format    string                  `json:"format,omitempty"`
	Transform map[string]string       `json:"transform,omitempty"`
}

// CustomStepOutputSource is Pipe (default), Stdout, Stderr or File.
type CustomStepOutputSource struct {
	Type string `json:"type,omitempty"`
	Path string `json:"path,omitempty"`
}

// ResourceRequirements are Kubernetes-style CPU and memory requests and limits.
type ResourceRequirements struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

// LocalObjectReference names a secret in the same project.
type LocalObjectReference struct {
	Name string `json:"name"`
}
