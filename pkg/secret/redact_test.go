package secret_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/secret"
)

const value = `p@ss/w+rd "q"`

// TestRedactorString: a value is replaced as written and in the forms URLs, JSON, Go quoting
// and base64 give it; other text is left alone.
func TestRedactorString(t *testing.T) {
	rd := secret.NewRedactor([]string{value, ""})
	tests := []struct{ in, want string }{
		{"clone https://git.example.com/" + value + "/repo.git failed", "clone https://git.example.com/[redacted]/repo.git failed"},
		{"GET /x?token=" + url.QueryEscape(value), "GET /x?token=[redacted]"},
		{"path " + url.PathEscape(value), "path [redacted]"},
		{`{"password":"p@ss/w+rd \"q\""}`, `{"password":"[redacted]"}`},
		{"basic " + base64.StdEncoding.EncodeToString([]byte(value)), "basic [redacted]"},
		{"url-safe " + base64.RawURLEncoding.EncodeToString([]byte(value)), "url-safe [redacted]"},
		{"nothing secret here", "nothing secret here"},
	}
	for _, tt := range tests {
		if got := rd.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// A short value is replaced wherever it appears: safe, if not pretty.
	if got := secret.NewRedactor([]string{"tok"}).String("tok and tokens"); got != "[redacted] and [redacted]ens" {
		t.Errorf("String() = %q, want every tok replaced", got)
	}
	var none *secret.Redactor
	if got := none.String(value); got != value {
		t.Errorf("nil Redactor String() = %q, want the text as it is", got)
	}
	if got := secret.NewRedactor(nil).String(value); got != value {
		t.Errorf("Redactor of nothing String() = %q, want the text as it is", got)
	}
}

// TestRedactorResult: every string of a result's outputs, at any depth, its message and its
// metadata are redacted; numbers and booleans are kept.
func TestRedactorResult(t *testing.T) {
	type custom struct{ Token string }
	r := &v1.StepResult{
		Message: "pushed with " + value,
		Outputs: map[string]any{
			"commitMessage": "- image.tag: " + value,
			"nested":        map[string]any{"list": []any{"a", value, 3.0, true}, value: "key"},
			"typed":         custom{Token: value},
			"count":         2,
		},
		Metadata: []v1.MetadataUpdate{{Kind: "Stage", Name: "dev", Values: map[string]any{"token": value}}},
	}
	secret.NewRedactor([]string{value}).Result(r)
	want := &v1.StepResult{
		Message: "pushed with [redacted]",
		Outputs: map[string]any{
			"commitMessage": "- image.tag: [redacted]",
			"nested":        map[string]any{"list": []any{"a", "[redacted]", 3.0, true}, "[redacted]": "key"},
			"typed":         map[string]any{"Token": "[redacted]"},
			"count":         2,
		},
		Metadata: []v1.MetadataUpdate{{Kind: "Stage", Name: "dev", Values: map[string]any{"token": "[redacted]"}}},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("Result() (-want +got):\n%s", diff)
	}
}

// TestRedactorLogger: the message, text, error and group attributes, and attributes added
// with With, are redacted in the text and JSON forms.
func TestRedactorLogger(t *testing.T) {
	for _, tt := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			log := secret.NewRedactor([]string{value}).Logger(slog.New(tt.new(&out)))
			log = log.With("url", "https://x/"+value)
			log.Info("clone "+value, "err", errors.New("auth "+value+" refused"), "bytes", []byte(value),
				slog.Group("req", "header", value, "n", 1), "config", map[string]any{"token": value})
			got := out.String()
			for _, form := range []string{"p@ss", base64.StdEncoding.EncodeToString([]byte(value))} {
				if strings.Contains(got, form) {
					t.Errorf("log shows %q:\n%s", form, got)
				}
			}
			if n := strings.Count(got, "[redacted]"); n != 6 {
				t.Errorf("log has %d [redacted], want 6:\n%s", n, got)
			}
		})
	}
}
