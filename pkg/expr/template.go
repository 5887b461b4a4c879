package expr

import (
	"fmt"
	"strings"
)

// delimiter is an opening and closing pair (docs/expressions.md#syntax).
type delimiter struct{ open, close string }

var delimiters = []delimiter{{"${{", "}}"}, {"${%", "%}"}}

// Template evaluates one template string: it evaluates every ${{ }} and ${% %} expression
// against env, substitutes its text (docs/expressions.md#values-and-types) and coerces the whole string into a JSON value
// (#values-and-types): a string, float64, bool, nil, map[string]any or []any. A string without an opening
// delimiter is returned unchanged. An error is an *Error naming the failing expression; an
// unclosed delimiter wraps ErrUnclosed; a data function without its Env callback wraps
// ErrDataUnavailable. Secrets and config maps are read once per call. It is safe for
// concurrent use.
func (e *Evaluator) Template(tmpl string, env *Env) (any, error) {
	if !hasDelimiter(tmpl) {
		return tmpl, nil
	}
	v, _, err := e.newEvaluation(env, "", false).template(tmpl)
	return v, err
}

// template evaluates one template within the evaluation and reports whether its value may
// come from a secret: it called secret() or sharedSecret(), or may read one of the
// Env.SecretVars. Errors have secret values hidden.
func (ev *evaluation) template(tmpl string) (any, bool, error) {
	if !hasDelimiter(tmpl) {
		return tmpl, false, nil
	}
	reads := ev.secretReads
	secret := false
	var out strings.Builder
	var whole string
	for rest := tmpl; ; {
		start, d := nextOpening(rest)
		if start < 0 {
			out.WriteString(rest)
			break
		}
		out.WriteString(rest[:start])
		body := rest[start+len(d.open):]
		end := strings.Index(body, d.close)
		if end < 0 {
			return nil, false, &Error{Err: fmt.Errorf("%w: expected %q but reached end of template", ErrUnclosed, d.close)}
		}
		text, readsVar, err := ev.expression(body[:end])
		if err != nil {
			return nil, false, &Error{Expr: d.open + body[:end] + d.close, Err: ev.scrub(err)}
		}
		secret = secret || readsVar
		rest = body[end+len(d.close):]
		if rest == "" && out.Len() == 0 {
			// The whole template is one expression (the common case): no copy.
			whole = text
			break
		}
		out.WriteString(text)
	}
	if out.Len() > 0 {
		whole = out.String()
	}
	v, err := coerce(whole)
	if err != nil {
		return nil, false, &Error{Err: ev.scrub(err)}
	}
	return v, secret || ev.secretReads != reads, nil
}

// expression runs one expression and renders its result as template text (docs/expressions.md#values-and-types). It reports
// whether the expression may read one of the Env.SecretVars.
func (ev *evaluation) expression(source string) (string, bool, error) {
	c := ev.e.compile(templateProgram, source)
	if c.err != nil {
		return "", false, c.err
	}
	result, err := ev.vm.Run(c.program, ev.variables(&c))
	if err != nil {
		return "", false, budgetError(err)
	}
	s, err := text(result)
	return s, c.uses.readsSecretVar(ev.env.SecretVars), err
}

// hasDelimiter reports whether s opens an expression.
func hasDelimiter(s string) bool {
	for _, d := range delimiters {
		if strings.Contains(s, d.open) {
			return true
		}
	}
	return false
}

// nextOpening returns the index of the earliest opening delimiter in s and its pair, or -1.
func nextOpening(s string) (int, delimiter) {
	at, found := -1, delimiter{}
	for _, d := range delimiters {
		if i := strings.Index(s, d.open); i >= 0 && (at < 0 || i < at) {
			at, found = i, d
		}
	}
	return at, found
}
