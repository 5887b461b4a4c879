package v1

import "time"

// API versions accepted in manifests. Dray reads Kargo's YAML unchanged.
const (
	// GroupVersion is the apiVersion of every built-in kind.
	GroupVersion = "kargo.akuity.io/v1alpha1"
	// EEGroupVersion is the apiVersion Kargo gives CustomPromotionStep.
	EEGroupVersion = "ee.kargo.akuity.io/v1alpha1"
)

// Kinds of resource, as written in the kind field of a manifest.
const (
	KindProject              = "Project"
	KindProjectConfig        = "ProjectConfig"
	KindClusterConfig        = "ClusterConfig"
	KindWarehouse            = "Warehouse"
	KindStage                = "Stage"
	KindFreight              = "Freight"
	KindPromotion            = "Promotion"
	KindPromotionTask        = "PromotionTask"
	KindClusterPromotionTask = "ClusterPromotionTask"
	KindCustomPromotionStep  = "CustomPromotionStep"
)

// TypeMeta names a resource's schema: apiVersion and kind.
type TypeMeta struct {
	// APIVersion is kargo.akuity.io/v1alpha1 (ee.kargo.akuity.io/v1alpha1 for CustomPromotionStep).
	APIVersion string `json:"apiVersion"`
	// Kind is the resource kind, e.g. Stage.
	Kind string `json:"kind"`
}

// ObjectMeta is the part of Kubernetes object metadata that Dray reads. A Kargo namespace is a
// Dray project.
type ObjectMeta struct {
	// Name is the resource name, a DNS-1123 subdomain.
	Name string `json:"name"`
	// Namespace is the project the resource belongs to; empty for cluster-wide kinds.
	Namespace string `json:"namespace,omitempty"`
	// Labels are string key/value pairs; kargo.akuity.io/alias names a Freight's alias.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations are string key/value pairs, e.g. kargo.akuity.io/create-actor.
	Annotations map[string]string `json:"annotations,omitempty"`
	// CreationTimestamp is when Dray first stored the resource.
	CreationTimestamp *time.Time `json:"creationTimestamp,omitempty"`
}

// Label and annotation keys Dray reads and writes.
const (
	LabelAlias            = "kargo.akuity.io/alias"
	AnnotationCreateActor = "kargo.akuity.io/create-actor"
)

// ExpressionVariable is a named value that may contain ${{ }} expressions.
type ExpressionVariable struct {
	// Name matches ^[a-zA-Z_]\w*$.
	Name string `json:"name"`
	// Value is a template; it may be empty.
	Value string `json:"value,omitempty"`
}
