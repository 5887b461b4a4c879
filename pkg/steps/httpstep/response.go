package httpstep

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/drayhq/dray/pkg/steps/internal/httpclient"
)

// readLimited reads r to its end, failing with ErrResponseTooLarge once it holds more than
// limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than the limit of %s", ErrResponseTooLarge, httpclient.FormatBytes(limit))
	}
	return b, nil
}

// responseEnv is the environment of the step's expressions: response with status, headers,
// header(name) and body.
func responseEnv(resp *http.Response, body []byte, forcedType string) (map[string]any, error) {
	parsed, err := parseBody(body, resp.Header.Get("Content-Type"), forcedType)
	if err != nil {
		return nil, err
	}
	return map[string]any{"response": map[string]any{
		"status":  resp.StatusCode,
		"headers": resp.Header,
		"header":  resp.Header.Get,
		"body":    parsed,
	}}, nil
}

// parseBody parses body by its media type (forced, else contentType): JSON for
// application/json and +json types, YAML for application/yaml, text/yaml and
// application/x-yaml, a string for text/plain; a body of another type that is valid JSON is
// parsed as JSON; anything else, and an empty body, is {}.
func parseBody(body []byte, contentType, forced string) (any, error) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	media := forced
	if media == "" {
		media, _, _ = mime.ParseMediaType(contentType)
	}
	media = strings.ToLower(media)
	switch {
	case media == "application/json" || strings.HasSuffix(media, "+json"):
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, fmt.Errorf("parse the %s response body: %w", media, err)
		}
		return v, nil
	case media == "application/yaml" || media == "text/yaml" || media == "application/x-yaml":
		var v any
		if err := yaml.Unmarshal(body, &v); err != nil {
			return nil, fmt.Errorf("parse the %s response body: %w", media, err)
		}
		return v, nil
	case media == "text/plain":
		return string(body), nil
	case json.Valid(body):
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, fmt.Errorf("parse the response body as JSON: %w", err)
		}
		return v, nil
	}
	return map[string]any{}, nil
}
