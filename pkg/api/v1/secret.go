package v1

// CoreVersion is the apiVersion of Kubernetes' core kinds that Dray reads unchanged: Secret and
// ConfigMap, where Kargo users keep credentials and template values.
const CoreVersion = "v1"

// Kinds from Kubernetes' core API group.
const (
	KindSecret    = "Secret"
	KindConfigMap = "ConfigMap"
)

// Labels that give a Secret a role (Kargo's names).
const (
	// LabelCredType marks a Secret as credentials: git, helm, image or generic.
	LabelCredType = "kargo.akuity.io/cred-type"
)

// SharedProject is the project whose Secrets and ConfigMaps back sharedSecret() and
// sharedConfigMap(), and whose credentials every project may use; Kargo's namespace name.
const SharedProject = "kargo-shared-resources"

// Secret holds sensitive values of a project, in Kubernetes' shape. Dray stores it encrypted
// and never returns its values through the API, events or logs.
//
// Credentials are Secrets labelled kargo.akuity.io/cred-type (git, helm or image) whose data
// holds repoURL (and repoURLIsRegex: "true" to match it as a regular expression), username,
// password or sshPrivateKey.
type Secret struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta `json:"metadata"`
	// Type is informational, e.g. Opaque.
	Type string `json:"type,omitempty"`
	// Data holds the values, base64-encoded in JSON and YAML.
	Data map[string][]byte `json:"data,omitempty"`
	// StringData holds values as plain text; on apply they are merged into Data (winning over
	// it), as Kubernetes does.
	StringData map[string]string `json:"stringData,omitempty"`
}

// ConfigMap holds non-sensitive values of a project, read by configMap() in expressions.
type ConfigMap struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta        `json:"metadata"`
	Data     map[string]string `json:"data,omitempty"`
}

// SecretSummary is what the API tells of a Secret: never its values.
type SecretSummary struct {
	Project string            `json:"project"`
	Name    string            `json:"name"`
	Type    string            `json:"type,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Keys are the names of its values.
	Keys []string `json:"keys"`
}
