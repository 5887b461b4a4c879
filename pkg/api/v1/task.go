package v1

// PromotionTask is a reusable list of steps within a project.
type PromotionTask struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta        `json:"metadata"`
	Spec     PromotionTaskSpec `json:"spec"`
}

// ClusterPromotionTask is a PromotionTask usable from every project.
type ClusterPromotionTask struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta        `json:"metadata"`
	Spec     PromotionTaskSpec `json:"spec"`
}

// PromotionTaskSpec declares a task's variables and steps.
type PromotionTaskSpec struct {
	// Vars without a value are required.
	Vars []ExpressionVariable `json:"vars,omitempty"`
	// Steps each use uses; tasks do not nest.
	Steps []PromotionStep `json:"steps"`
}
