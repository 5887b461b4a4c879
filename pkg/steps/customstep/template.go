package customstep

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/drayhq/dray/pkg/expr"
)

// render substitutes every ${{ }} expression of tmpl, evaluated over vars (config and ctx).
// A value that is not a string is rendered as JSON; an expression that evaluates to nil is
// an error, so that a missing config key does not become an empty argument unnoticed.
func render(ev *expr.Evaluator, tmpl string, vars map[string]any) (string, error) {
	var out strings.Builder
	rest := tmpl
	for {
		start := strings.Index(rest, "${{")
		if start < 0 {
			out.WriteString(rest)
			return out.String(), nil
		}
		out.WriteString(rest[:start])
		body := rest[start+3:]
		end := strings.Index(body, "}}")
		if end < 0 {
			return "", fmt.Errorf("%q: expected \"}}\" but reached the end", tmpl)
		}
		source := strings.TrimSpace(body[:end])
		v, err := ev.Bare(source, vars)
		if err != nil {
			return "", err
		}
		switch v := v.(type) {
		case nil:
			return "", fmt.Errorf("${{ %s }} evaluated to nothing (is it set in the step's config?)", source)
		case string:
			out.WriteString(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return "", fmt.Errorf("${{ %s }}: %w", source, err)
			}
			out.Write(b)
		}
		rest = body[end+2:]
	}
}
