package expr

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Redacted replaces, in the redacted copy of RenderRedacted, every value that came from a
// secret, and secret values in error messages.
const Redacted = "[redacted]"

// RenderRedacted is Render that also returns a redacted copy of the result, fit to be recorded
// (secrets never reach recorded configs, events or logs): in it, the value of every template that read a secret, through secret(),
// sharedSecret() or one of the Env.SecretVars, is replaced as a whole by Redacted, even when
// the secret is only part of a longer string. Values of other templates are the same as in
// rendered; the two copies share no map or list. It is safe for concurrent use.
func (e *Evaluator) RenderRedacted(root string, v any, env *Env) (rendered, redacted any, err error) {
	rendered, redacted, err = e.newEvaluation(env, root, true).value(v)
	if err != nil {
		return nil, nil, err
	}
	return rendered, redacted, nil
}

// RenderSecrets is RenderRedacted that also returns the secret values the rendering read: the
// values of every secret that secret() or sharedSecret() read, and of the Env.SecretVars, as
// RenderRedacted recognises them. They are empty when no template read a secret. It is safe
// for concurrent use.
func (e *Evaluator) RenderSecrets(root string, v any, env *Env) (rendered, redacted any, secrets []string, err error) {
	ev := e.newEvaluation(env, root, true)
	rendered, redacted, err = ev.value(v)
	if err != nil {
		return nil, nil, nil, err
	}
	secrets = ev.secretValues()
	slices.Sort(secrets)
	return rendered, redacted, slices.Compact(secrets), nil
}

// TemplateSecret is Template that also reports whether the value came from a secret, as
// RenderRedacted decides it. A caller evaluating vars records such a var in Env.SecretVars,
// so that templates using it are redacted too. It is safe for concurrent use.
func (e *Evaluator) TemplateSecret(tmpl string, env *Env) (v any, secret bool, err error) {
	return e.newEvaluation(env, "", false).template(tmpl)
}

// scrub replaces in err's message every value of a secret this evaluation has read, and of
// the Env.SecretVars, by Redacted, as written and as Go or JSON quoting would escape it. The
// result still matches the sentinels err matches (errors.Is), but does not expose err itself.
// A value derived from a secret (a substring, one character in a JSON syntax error) is not
// recognised.
func (ev *evaluation) scrub(err error) error {
	values := ev.secretValues()
	if len(values) == 0 {
		return err
	}
	var forms []string
	for _, v := range values {
		quoted := strconv.Quote(v)
		forms = append(forms, v, quoted[1:len(quoted)-1])
		if b, err := json.Marshal(v); err == nil {
			forms = append(forms, string(b[1:len(b)-1]))
		}
	}
	// Longest first, so that a value containing another is replaced whole; equal forms end up
	// side by side for Compact.
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	forms = slices.Compact(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	msg := err.Error()
	scrubbed := strings.NewReplacer(pairs...).Replace(msg)
	if scrubbed == msg {
		return err
	}
	return &redactedError{msg: scrubbed, err: err}
}

// secretValues returns the non-empty values of the secrets read so far and of the
// Env.SecretVars.
func (ev *evaluation) secretValues() []string {
	var values []string
	for key, data := range ev.maps {
		if !key.fn.secret {
			continue
		}
		for _, v := range data {
			if v != "" {
				values = append(values, v)
			}
		}
	}
	for name, secret := range ev.env.SecretVars {
		if secret { // a var is listed with false when a later one of its name is not secret
			values = appendLeaves(values, ev.env.Vars[name])
		}
	}
	return values
}

// appendLeaves appends the strings and numbers in v, as text.
func appendLeaves(values []string, v any) []string {
	switch v := v.(type) {
	case string:
		if v != "" {
			values = append(values, v)
		}
	case float64, int, int64:
		values = append(values, fmt.Sprint(v))
	case map[string]string:
		for _, elem := range v {
			values = appendLeaves(values, elem)
		}
	case map[string]any:
		for _, elem := range v {
			values = appendLeaves(values, elem)
		}
	case []any:
		for _, elem := range v {
			values = appendLeaves(values, elem)
		}
	}
	return values
}

// redactedError is an error whose message has secret values replaced.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is matches what the original error matches. There is no Unwrap: errors.As must not reach
// the original, whose message holds the secret.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }
