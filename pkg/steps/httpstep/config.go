package httpstep

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/steps/internal/httpclient"
)

// Defaults of the config.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultPollInterval = 30 * time.Second
)

// Config is the config of the http step, as described by schemas/steps/http.json.
type Config struct {
	// URL is the request URL.
	URL string `json:"url"`
	// Method is GET (the default), POST, PUT, PATCH, DELETE or HEAD.
	Method string `json:"method,omitempty"`
	// Headers are sent in order; a name may repeat.
	Headers []NameValue `json:"headers,omitempty"`
	// QueryParams are URL-encoded and appended to the URL's query.
	QueryParams []NameValue `json:"queryParams,omitempty"`
	// Body is the request body. Not with BodyFromFile.
	Body string `json:"body,omitempty"`
	// BodyFromFile is a workspace file sent as the body, at most 2 MiB. Not with Body.
	BodyFromFile string `json:"bodyFromFile,omitempty"`
	// InsecureSkipTLSVerify skips verification of the server's certificate.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
	// Proxy is an http(s):// proxy URL; empty means the environment's.
	Proxy string `json:"proxy,omitempty"`
	// Timeout bounds one request, e.g. "30s". Default 10s.
	Timeout string `json:"timeout,omitempty"`
	// PollInterval is how long to wait before asking again while the step is Running.
	// Default 30s.
	PollInterval string `json:"pollInterval,omitempty"`
	// ResponseContentType forces how the body is parsed: application/json,
	// application/yaml or text/plain. Default: the response's Content-Type.
	ResponseContentType string `json:"responseContentType,omitempty"`
	// SuccessExpression is a bare expression over response; true means Succeeded.
	SuccessExpression string `json:"successExpression,omitempty"`
	// FailureExpression is a bare expression over response; true means Failed. It is
	// checked before SuccessExpression.
	FailureExpression string `json:"failureExpression,omitempty"`
	// ErrorExpression is evaluated when FailureExpression is true; its result goes into the
	// message.
	ErrorExpression string `json:"errorExpression,omitempty"`
	// Outputs are computed on success.
	Outputs []Output `json:"outputs,omitempty"`
}

// Output is one output of the step, computed from the response.
type Output struct {
	// Name is the output's key.
	Name string `json:"name"`
	// FromExpression is a bare expression over response.
	FromExpression string `json:"fromExpression"`
}

var (
	methods       = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}
	responseTypes = []string{"application/json", "application/yaml", "text/plain"}
)

// Validate reports every problem the schema cannot express, each naming its field, and
// fills in the default method.
func (c *Config) Validate() error {
	var errs []error
	if c.Method == "" {
		c.Method = "GET"
	}
	c.Method = strings.ToUpper(c.Method)
	if !slices.Contains(methods, c.Method) {
		errs = append(errs, fmt.Errorf("config.method: %q is not one of %s", c.Method, strings.Join(methods, ", ")))
	}
	if c.Body != "" && c.BodyFromFile != "" {
		errs = append(errs, errors.New("config.body and config.bodyFromFile are mutually exclusive"))
	}
	if _, err := httpclient.Duration("config.timeout", c.Timeout, DefaultTimeout); err != nil {
		errs = append(errs, err)
	}
	if _, err := httpclient.Duration("config.pollInterval", c.PollInterval, DefaultPollInterval); err != nil {
		errs = append(errs, err)
	}
	if c.ResponseContentType != "" && !slices.Contains(responseTypes, c.ResponseContentType) {
		errs = append(errs, fmt.Errorf("config.responseContentType: %q is not one of %s", c.ResponseContentType, strings.Join(responseTypes, ", ")))
	}
	seen := map[string]bool{}
	for i, o := range c.Outputs {
		switch {
		case o.Name == "":
			errs = append(errs, fmt.Errorf("config.outputs[%d].name: must not be empty", i))
		case seen[o.Name]:
			errs = append(errs, fmt.Errorf("config.outputs[%d].name: %q is used twice", i, o.Name))
		}
		seen[o.Name] = true
		if o.FromExpression == "" {
			errs = append(errs, fmt.Errorf("config.outputs[%d].fromExpression: must not be empty", i))
		}
	}
	for i, h := range c.Headers {
		if !httpclient.ValidHeaderName(h.Name) {
			errs = append(errs, fmt.Errorf("config.headers[%d].name: %q is not a valid header name", i, h.Name))
		}
	}
	return errors.Join(errs...)
}
