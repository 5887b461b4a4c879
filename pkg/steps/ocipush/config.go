package ocipush

// Config is the config of oci-push, as described by schemas/steps/oci-push.json.
type Config struct {
	// SrcRef is the image or index to push: [oci://]registry/repo:tag or …@sha256:….
	SrcRef string `json:"srcRef"`
	// DestRef is where it goes: [oci://]registry/repo:tag.
	DestRef string `json:"destRef"`
	// Annotations are added to the manifest ("manifest:" or no prefix) or the index
	// ("index:" prefix).
	Annotations map[string]string `json:"annotations,omitempty"`
	// InsecureSkipTLSVerify skips verification of the registries' certificates.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
}
