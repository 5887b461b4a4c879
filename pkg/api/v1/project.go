package v1

// Project is a tenant: every namespaced resource belongs to one. Its name is also a NATS subject
// token, so permissions can fence a tenant to *.*.<project>.>.
type Project struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta   `json:"metadata"`
	Spec     *ProjectSpec `json:"spec,omitempty"`
}

// ProjectSpec is Kargo's deprecated inline project configuration; ProjectConfig replaces it.
type ProjectSpec struct {
	// PromotionPolicies decide which Stages auto-promote.
	PromotionPolicies []PromotionPolicy `json:"promotionPolicies,omitempty"`
}

// ProjectConfig holds a project's settings. Its name must equal the project's.
type ProjectConfig struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta        `json:"metadata"`
	Spec     ProjectConfigSpec `json:"spec"`
}

// ProjectConfigSpec is the body of a ProjectConfig.
type ProjectConfigSpec struct {
	// PromotionPolicies are evaluated in order; the first whose selector matches a Stage wins.
	PromotionPolicies []PromotionPolicy `json:"promotionPolicies,omitempty"`
}

// PromotionPolicy switches auto-promotion on or off for the Stages it selects.
type PromotionPolicy struct {
	// Stage is the deprecated form of StageSelector.Name.
	Stage string `json:"stage,omitempty"`
	// StageSelector selects Stages by name (exact, glob: or regex:) and labels.
	StageSelector *StageSelector `json:"stageSelector,omitempty"`
	// AutoPromotionEnabled makes matching Stages promote new Freight automatically. Default false.
	AutoPromotionEnabled bool `json:"autoPromotionEnabled,omitempty"`
}

// StageSelector selects Stages by name and labels.
type StageSelector struct {
	// Name is an exact name, or glob:<pattern>, or regex:<RE2> (unanchored).
	Name string `json:"name,omitempty"`
	// MatchLabels must all be present with these values.
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}
