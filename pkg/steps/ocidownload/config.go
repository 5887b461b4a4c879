package ocidownload

// Config is the config of oci-download, as described by schemas/steps/oci-download.json.
type Config struct {
	// ImageRef is the artifact: [oci://]registry/repo:tag or registry/repo@sha256:….
	ImageRef string `json:"imageRef"`
	// OutPath is where the layer goes, relative to the workspace.
	OutPath string `json:"outPath"`
	// AllowOverwrite replaces an existing file at OutPath.
	AllowOverwrite bool `json:"allowOverwrite,omitempty"`
	// MediaType selects the first layer of this media type; empty selects the first layer.
	MediaType string `json:"mediaType,omitempty"`
	// InsecureSkipTLSVerify skips verification of the registry's certificate.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
}
