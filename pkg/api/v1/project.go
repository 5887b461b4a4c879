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
	// PromotionWindows allow or deny Promotions by schedule, for the Stages they select.
	PromotionWindows []PromotionWindow `json:"promotionWindows,omitempty"`
	// WebhookReceivers are the gateway endpoints that refresh this project's Warehouses on a
	// push: each has a name and one provider key with a secretRef.
	WebhookReceivers []WebhookReceiver `json:"webhookReceivers,omitempty"`
}

// ClusterConfigName is the name of the one ClusterConfig, as in Kargo.
const ClusterConfigName = "cluster"

// ClusterConfig holds settings for every project: today, promotion windows that apply to the
// projects and Stages they select. There is one, named cluster; it is cluster-wide (no
// namespace).
type ClusterConfig struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta        `json:"metadata"`
	Spec     ClusterConfigSpec `json:"spec"`
}

// ClusterConfigSpec is the body of a ClusterConfig.
type ClusterConfigSpec struct {
	// PromotionWindows allow or deny Promotions by time, for the projects (projectSelector)
	// and Stages (stageSelector) they select.
	PromotionWindows []PromotionWindow `json:"promotionWindows,omitempty"`
}

// PromotionPolicy switches auto-promotion on or off for the Stages it selects.
type PromotionPolicy struct {
	// Stage is the deprecated form of StageSelector.Name.
	Stage string `json:"stage,omitempty"`
	// StageSelector selects Stages by name (exact, glob: or regex:) and labels.
	StageSelector *StageSelector `json:"stageSelector,omitempty"`
	// AutoPromotionEnabled makes matching Stages promote new Freight automatically. Default false.
	AutoPromotionEnabled bool `json:"autoPromotionEnabled,omitempty"`
	// AutoPromotionMinInterval (a Dray extension) limits auto-promotion in the matching Stages
	// to one Promotion per interval, a Go duration such as 30m: Freight that arrives sooner
	// waits, and the newest candidate then is promoted. Default none.
	AutoPromotionMinInterval string `json:"autoPromotionMinInterval,omitempty"`
	// AutoRollback, when set, promotes the matching Stages back to their last stable Freight
	// when verification of new Freight fails (docs/resources.md#auto-rollback). Absent: off.
	AutoRollback *AutoRollback `json:"autoRollback,omitempty"`
}

// AutoRollback says which failures roll a Stage back to its last stable Freight.
type AutoRollback struct {
	// OnVerification lists the phases of a failed verification that roll back: Failed and
	// Error (Errored). Default [Failed].
	OnVerification []string `json:"onVerification,omitempty"`
	// OnPromotion lists the phases of a failed Promotion that roll back: Failed and Errored.
	// Default none.
	OnPromotion []string `json:"onPromotion,omitempty"`
	// MaxAge is how old a failure may be when the Stage has settled (nothing Running or
	// Pending) and still be rolled back, as a Go duration; older failures are ignored.
	// Default 20m.
	MaxAge string `json:"maxAge,omitempty"`
}

// StageSelector selects Stages by name and labels.
type StageSelector struct {
	// Name is an exact name, or glob:<pattern>, or regex:<RE2> (unanchored).
	Name string `json:"name,omitempty"`
	// MatchLabels must all be present with these values.
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// WebhookReceiver is an HTTP endpoint of the gateway that refreshes the project's Warehouses
// when a Git host, an image registry or a chart repository reports a push. It is served at
// /webhooks/<project>/<token>, where the token is derived from the project, the receiver's
// name and its secret (see the gateway's README); set exactly one provider key.
type WebhookReceiver struct {
	// Name identifies the receiver within the project.
	Name string `json:"name"`
	// GitHub receives push and package events; the Secret's key "secret" is the webhook secret
	// (X-Hub-Signature-256).
	GitHub *WebhookReceiverConfig `json:"github,omitempty"`
	// GitLab receives push and tag push events; the Secret's key "secret-token" is the
	// webhook's secret token (X-Gitlab-Token).
	GitLab *WebhookReceiverConfig `json:"gitlab,omitempty"`
	// Gitea receives push events; the Secret's key "secret" signs them (X-Gitea-Signature).
	Gitea *WebhookReceiverConfig `json:"gitea,omitempty"`
	// Bitbucket receives repo:push events; the Secret's key "secret" signs them
	// (X-Hub-Signature).
	Bitbucket *WebhookReceiverConfig `json:"bitbucket,omitempty"`
	// DockerHub receives push events; the Secret's key "secret" only seeds the URL's token.
	DockerHub *WebhookReceiverConfig `json:"dockerhub,omitempty"`
	// Harbor receives PUSH_ARTIFACT events; the Secret's key "auth-header" must equal the
	// Authorization header Harbor sends.
	Harbor *WebhookReceiverConfig `json:"harbor,omitempty"`
	// Quay receives repository push notifications; the Secret's key "secret" only seeds the
	// URL's token.
	Quay *WebhookReceiverConfig `json:"quay,omitempty"`
	// Artifactory receives JFrog Artifactory docker "pushed" events; the Secret's key
	// secret-token signs them (X-Jfrog-Event-Auth).
	Artifactory *ArtifactoryWebhookReceiverConfig `json:"artifactory,omitempty"`
	// Azure receives Azure Container Registry push events; the Secret's key "secret" only
	// seeds the URL's token.
	Azure *WebhookReceiverConfig `json:"azure,omitempty"`
	// Distribution (a Dray extension) receives the notifications of a CNCF Distribution
	// registry (registry:2, Zot and others that send its envelope); the Secret's key "secret"
	// must be sent as "Authorization: Bearer <secret>" (the endpoint's headers setting).
	Distribution *WebhookReceiverConfig `json:"distribution,omitempty"`
	// Generic receives a JSON body shaped like a refresh command's artifact
	// ({"repoURL", "tag", "digest", "commit", "version"}), e.g. from a chart repository's CI;
	// the Secret's key "secret" must be sent as "Authorization: Bearer <secret>".
	Generic *WebhookReceiverConfig `json:"generic,omitempty"`
}

// WebhookReceiverConfig points a webhook receiver at the Secret that authenticates it.
type WebhookReceiverConfig struct {
	// SecretRef names a Secret in the project holding the shared secret or token.
	SecretRef LocalObjectReference `json:"secretRef"`
}

// ArtifactoryWebhookReceiverConfig is an Artifactory receiver's: its Secret, and the virtual
// repository the Warehouses pull through, when they do.
type ArtifactoryWebhookReceiverConfig struct {
	// SecretRef names a Secret in the project holding the signing secret (key secret-token).
	SecretRef LocalObjectReference `json:"secretRef"`
	// VirtualRepoName, when set, replaces the event's repo_key in the pushed repository's URL:
	// Warehouses subscribe to <host>/<virtual repository>/<image>, while events name the local
	// repository the image was pushed to.
	VirtualRepoName string `json:"virtualRepoName,omitempty"`
}
