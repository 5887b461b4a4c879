package expr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// quote implements quote(v) (docs/expressions.md#quoting): a string (or Version) becomes its Go-quoted form, anything
// else its JSON text in double quotes. Template coercion strips the outer quotes when the
// call is the whole value, so the result stays a string.
func quote(args ...any) (any, error) {
	switch v := args[0].(type) {
	case string:
		return strconv.Quote(v), nil
	case Version:
		return strconv.Quote(v.String()), nil
	}
	return unsafeQuote(args...)
}

// unsafeQuote implements unsafeQuote(v): the JSON text of v in double quotes, so a string
// keeps its JSON quotes once coercion strips the outer pair.
func unsafeQuote(args ...any) (any, error) {
	b, err := marshalJSON(args[0], "")
	if err != nil {
		return nil, fmt.Errorf("quote: %w", err)
	}
	return `"` + string(b) + `"`, nil
}

// asJSON implements asJSON(v): v as JSON indented by two spaces and ending in a newline, in
// double quotes.
func asJSON(args ...any) (any, error) {
	b, err := marshalJSON(args[0], "  ")
	if err != nil {
		return nil, fmt.Errorf("asJSON: %w", err)
	}
	return `"` + string(b) + "\n" + `"`, nil
}

// asYAML implements asYAML(v): v as YAML (ending in a newline) in double quotes. Structs go
// through JSON first, so they use their JSON field names.
func asYAML(args ...any) (any, error) {
	b, err := marshalJSON(args[0], "")
	if err != nil {
		return nil, fmt.Errorf("asYAML: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, fmt.Errorf("asYAML: %w", err)
	}
	y, err := yaml.Marshal(numbers(generic))
	if err != nil {
		return nil, fmt.Errorf("asYAML: %w", err)
	}
	return `"` + string(y) + `"`, nil
}

// marshalJSON encodes v without HTML escaping and without a trailing newline, indented when
// indent is not empty.
func marshalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// numbers replaces the json.Numbers in a decoded value by int64 or float64, so YAML prints
// them as numbers and keeps large integers exact.
func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = numbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = numbers(e)
		}
	}
	return v
}
