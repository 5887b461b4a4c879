package httpdownload

import (
	"time"

	"github.com/drayhq/dray/pkg/steps/internal/httpclient"
)

// DefaultTimeout bounds a whole download when the config sets no timeout.
const DefaultTimeout = 5 * time.Minute

// Config is the config of http-download, as described by schemas/steps/http-download.json.
type Config struct {
	// URL is the file to download.
	URL string `json:"url"`
	// OutPath is where the file goes, relative to the workspace.
	OutPath string `json:"outPath"`
	// AllowOverwrite replaces an existing file at OutPath; without it an existing file fails
	// the step.
	AllowOverwrite bool `json:"allowOverwrite,omitempty"`
	// Headers are sent in order.
	Headers []httpclient.NameValue `json:"headers,omitempty"`
	// QueryParams are URL-encoded and appended to the URL's query.
	QueryParams []httpclient.NameValue `json:"queryParams,omitempty"`
	// InsecureSkipTLSVerify skips verification of the server's certificate.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
	// Timeout bounds the whole download, e.g. "2m". Default 5m.
	Timeout string `json:"timeout,omitempty"`
}
