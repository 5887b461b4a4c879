package gitprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// APIError is a response outside 2xx. It matches ErrUnauthorized (401, 403) and ErrNotFound
// (404) with errors.Is. Its text names the request and the provider's message, never the
// token.
type APIError struct {
	Provider string
	Method   string
	Path     string // below the API base, e.g. /repos/acme/deploy/pulls
	Status   int
	Message  string // the provider's message, from its error JSON
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s API: %s %s: %d %s", e.Provider, e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		s += " (check the token in the project's git credentials for this repository)"
	}
	return s
}

// Is matches ErrUnauthorized and ErrNotFound by status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	}
	return false
}

// kindError wraps an APIError with the sentinel a provider-specific status or message means.
type kindError struct {
	kind error
	err  *APIError
}

func (e *kindError) Error() string   { return e.kind.Error() + ": " + e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

func asKind(kind error, err *APIError) error { return &kindError{kind: kind, err: err} }

// transport sends JSON requests to one provider's API.
type transport struct {
	provider string
	base     string
	http     *http.Client
	auth     func(*http.Request)
	header   http.Header // sent with every request
}

// do sends method path with body (JSON-encoded unless nil) and decodes a 2xx response into
// out (unless nil). A response outside 2xx is an *APIError.
func (t *transport) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, rd)
	if err != nil {
		return 0, fmt.Errorf("%s API: %s %s: %w", t.provider, method, pathOnly(path), err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range t.header {
		req.Header[k] = v
	}
	if t.auth != nil {
		t.auth(req)
	}
	resp, err := t.http.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) { // *url.Error: its text repeats the URL, which holds no secret, but keep it short
			err = ue.Unwrap()
		}
		return 0, fmt.Errorf("%s API: %s %s: %w", t.provider, method, pathOnly(path), err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s API: %s %s: read response: %w", t.provider, method, pathOnly(path), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, &APIError{Provider: t.provider, Method: method, Path: pathOnly(path), Status: resp.StatusCode, Message: errorMessage(data)}
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s API: %s %s: decode response: %w", t.provider, method, pathOnly(path), err)
		}
	}
	return resp.StatusCode, nil
}

func pathOnly(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}

// errorMessage pulls the human message out of an error body in any of the providers' shapes:
// GitHub {"message", "errors": [{"message"}]}, GitLab {"message": string|[]|{}} or
// {"error"}, Gitea {"message"}, Bitbucket {"error": {"message"}}.
func errorMessage(data []byte) string {
	var e struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
		Errors  []struct {
			Message string `json:"message"`
			Code    string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &e) != nil {
		s := strings.TrimSpace(string(data))
		if len(s) > 200 || strings.HasPrefix(s, "<") {
			return ""
		}
		return s
	}
	var parts []string
	parts = appendMessage(parts, e.Message)
	var bb struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(e.Error, &bb) == nil && bb.Message != "" {
		parts = append(parts, bb.Message)
	} else {
		parts = appendMessage(parts, e.Error)
	}
	for _, x := range e.Errors {
		if x.Message != "" {
			parts = append(parts, x.Message)
		} else if x.Code != "" {
			parts = append(parts, x.Code)
		}
	}
	s := strings.Join(parts, "; ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

func appendMessage(parts []string, raw json.RawMessage) []string {
	if len(raw) == 0 {
		return parts
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "" {
			parts = append(parts, s)
		}
		return parts
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return append(parts, list...)
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) == nil {
		for k, v := range m {
			parts = append(parts, fmt.Sprintf("%s %v", k, v))
		}
	}
	return parts
}

// apiErrorStatus returns err's HTTP status when it is an *APIError, else 0.
func apiErrorStatus(err error) (*APIError, int) {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae, ae.Status
	}
	return nil, 0
}
