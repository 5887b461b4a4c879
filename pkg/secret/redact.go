package secret

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Redacted replaces a secret value wherever a Redactor finds one.
const Redacted = "[redacted]"

// Redactor replaces secret values in text, in step outputs and in log records. It recognises
// each value as written and in the forms it takes on its way into URLs, JSON, Go-quoted text
// and base64: query- and path-escaped, JSON- and Go-escaped, and base64 (standard and URL
// alphabets, padded or not). A value derived otherwise (a substring, a hash, a value joined
// with others before encoding) is not recognised. The zero Redactor, and a nil one, redact
// nothing. A Redactor is safe for concurrent use.
type Redactor struct {
	r *strings.Replacer
}

// NewRedactor returns a Redactor of the non-empty values.
func NewRedactor(values []string) *Redactor {
	var forms []string
	for _, v := range values {
		if v == "" {
			continue
		}
		quoted := strconv.Quote(v)
		forms = append(forms, v, quoted[1:len(quoted)-1], url.QueryEscape(v), url.PathEscape(v),
			base64.StdEncoding.EncodeToString([]byte(v)), base64.URLEncoding.EncodeToString([]byte(v)),
			base64.RawStdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)))
		if b, err := json.Marshal(v); err == nil {
			forms = append(forms, string(b[1:len(b)-1]))
		}
	}
	if len(forms) == 0 {
		return &Redactor{}
	}
	// Longest first, so that a form containing another is replaced whole; equal forms end up
	// side by side for Compact.
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	forms = slices.Compact(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// String returns s with every secret value replaced by Redacted.
func (rd *Redactor) String(s string) string {
	if rd == nil || rd.r == nil {
		return s
	}
	return rd.r.Replace(s)
}

// Value returns a copy of v, a JSON value (maps, lists, strings, numbers, booleans), with
// every secret value replaced in its strings and map keys. A value without any is returned as
// it is.
func (rd *Redactor) Value(v any) any {
	if rd == nil || rd.r == nil {
		return v
	}
	switch v := v.(type) {
	case string:
		return rd.String(v)
	case map[string]any:
		return rd.Map(v)
	case []any:
		out := make([]any, len(v))
		for i, elem := range v {
			out[i] = rd.Value(elem)
		}
		return out
	case []string:
		out := make([]string, len(v))
		for i, elem := range v {
			out[i] = rd.String(elem)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(v))
		for k, elem := range v {
			out[rd.String(k)] = rd.String(elem)
		}
		return out
	case nil, bool, float64, float32, int, int64, int32, uint, uint64, uint32, json.Number:
		return v
	}
	// Another Go type (a struct a step returned): redact its JSON form.
	b, err := json.Marshal(v)
	if err != nil {
		return Redacted
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return Redacted
	}
	return rd.Value(generic)
}

// Map is Value for a map; nil stays nil.
func (rd *Redactor) Map(m map[string]any) map[string]any {
	if m == nil || rd == nil || rd.r == nil {
		return m
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[rd.String(k)] = rd.Value(v)
	}
	return out
}

// Result redacts what a step result reports in clear: its message and outputs, its recorded
// config and the metadata it sets. It changes r in place and returns it.
func (rd *Redactor) Result(r *v1.StepResult) *v1.StepResult {
	if r == nil || rd == nil || rd.r == nil {
		return r
	}
	r.Message = rd.String(r.Message)
	r.Reason = rd.String(r.Reason)
	r.Outputs = rd.Map(r.Outputs)
	r.Config = rd.Map(r.Config)
	for i := range r.Metadata {
		r.Metadata[i].Values = rd.Map(r.Metadata[i].Values)
	}
	return r
}

// Logger returns log with every secret value replaced in the messages and attribute values
// it writes.
func (rd *Redactor) Logger(log *slog.Logger) *slog.Logger {
	if rd == nil || rd.r == nil {
		return log
	}
	return slog.New(&redactHandler{h: log.Handler(), rd: rd})
}

// redactHandler redacts every record before its handler sees it.
type redactHandler struct {
	h  slog.Handler
	rd *Redactor
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.rd.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.attr(a)
	}
	return &redactHandler{h: h.h.WithAttrs(red), rd: h.rd}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: h.h.WithGroup(name), rd: h.rd}
}

// attr redacts an attribute: text as it is, any other value in the text it would print as.
func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.rd.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		red := make([]any, len(group))
		for i, g := range group {
			red[i] = h.attr(g)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		var text string
		if err, ok := v.Any().(error); ok {
			text = err.Error()
		} else {
			text = fmt.Sprint(v.Any())
		}
		if red := h.rd.String(text); red != text {
			return slog.String(a.Key, red)
		}
		// A JSON handler prints the value's JSON form, which may differ ([]byte as base64).
		if b, err := json.Marshal(v.Any()); err == nil {
			if red := h.rd.String(string(b)); red != string(b) {
				return slog.String(a.Key, red)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
