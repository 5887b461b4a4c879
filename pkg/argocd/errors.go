package argocd

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrNotFound means the Application (or the API path) does not exist: HTTP 404.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized means the server rejected the token: HTTP 401.
	ErrUnauthorized = errors.New("the Argo CD API server rejected the token")
	// ErrForbidden means the token may not do this: HTTP 403.
	ErrForbidden = errors.New("the Argo CD token lacks permission")
)

// APIError is an answer of the API server other than 2xx. Its message never holds the token.
type APIError struct {
	Method string
	// Server and Path say what was called.
	Server, Path string
	StatusCode   int
	// Message is the server's message (grpc-gateway's "message" or "error" field).
	Message string
}

func (e *APIError) Error() string {
	what := fmt.Sprintf("argocd: %s %s%s: HTTP %d", e.Method, e.Server, e.Path, e.StatusCode)
	switch e.StatusCode {
	case http.StatusUnauthorized:
		what += ": " + ErrUnauthorized.Error() + " (check --argocd-token-file / DRAY_ARGOCD_TOKEN_FILE or the project's argocd Secret)"
	case http.StatusForbidden:
		what += ": " + ErrForbidden.Error()
	}
	if e.Message != "" {
		what += ": " + e.Message
	}
	return what
}

// Unwrap maps the status code to a sentinel: ErrNotFound, ErrUnauthorized or ErrForbidden.
func (e *APIError) Unwrap() error {
	switch e.StatusCode {
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	}
	return nil
}

func (c *Client) apiError(method, path string, status int, body []byte) error {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil {
		msg = e.Message
		if msg == "" {
			msg = e.Error
		}
	}
	if msg == "" && !json.Valid(body) {
		msg = strings.TrimSpace(string(body))
	}
	if len(msg) > 512 {
		msg = msg[:512] + "…"
	}
	if c.token != "" {
		msg = strings.ReplaceAll(msg, c.token, "[redacted]")
	}
	return &APIError{Method: method, Server: c.Server(), Path: path, StatusCode: status, Message: msg}
}
