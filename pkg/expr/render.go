package expr

import (
	"errors"
	"maps"
	"slices"
	"strconv"
)

// Render returns a deep copy of v (map[string]any, []any, strings, numbers, bools and nil, as
// decoded from JSON or YAML) in which every string value has been evaluated by Template. Map
// keys are never evaluated; values of other types are returned as they are. Maps are visited
// in key order, so the first error is always the same one. An error is an *Error whose Path
// starts with root, e.g. "config.updates[0].value". Secrets and config maps read by the
// templates are read once per call (docs/expressions.md#data-functions). It is safe for concurrent use.
func (e *Evaluator) Render(root string, v any, env *Env) (any, error) {
	out, _, err := e.newEvaluation(env, root, false).value(v)
	return out, err
}

// step is one element of the field path of the value being rendered: a map key (index -1) or
// a list index.
type step struct {
	key   string
	index int
}

// pathText returns the field path of the value being rendered, e.g. config.updates[0]["a b"].
func (ev *evaluation) pathText() string {
	p := ev.root
	for _, s := range ev.path {
		if s.index >= 0 {
			p += "[" + strconv.Itoa(s.index) + "]"
		} else {
			p = fieldPath(p, s.key)
		}
	}
	return p
}

// value renders v at the path in ev. With ev.redact it also returns the redacted copy
// (RenderRedacted), which shares nothing with the rendered one; without, the second result is
// meaningless. The path is kept as a stack of steps and turned into text only for an error.
func (ev *evaluation) value(v any) (any, any, error) {
	switch v := v.(type) {
	case string:
		out, secret, err := ev.template(v)
		if err != nil {
			var xe *Error
			if errors.As(err, &xe) {
				xe.Path = ev.pathText()
				return nil, nil, xe
			}
			return nil, nil, &Error{Path: ev.pathText(), Err: err}
		}
		switch {
		case !ev.redact:
			return out, nil, nil
		case secret:
			return out, Redacted, nil
		}
		return out, clone(out), nil
	case map[string]any:
		if v == nil {
			return v, v, nil
		}
		out := make(map[string]any, len(v))
		var red map[string]any
		if ev.redact {
			red = make(map[string]any, len(v))
		}
		// The keys are sorted in ev.keys, above the keys of the maps that contain this one.
		start := len(ev.keys)
		ev.keys = slices.AppendSeq(slices.Grow(ev.keys, len(v)), maps.Keys(v))
		keys := ev.keys[start:]
		slices.Sort(keys)
		defer func() { ev.keys = ev.keys[:start] }()
		for _, k := range keys {
			ev.path = append(ev.path, step{key: k, index: -1})
			o, r, err := ev.value(v[k])
			ev.path = ev.path[:len(ev.path)-1]
			if err != nil {
				return nil, nil, err
			}
			out[k] = o
			if red != nil {
				red[k] = r
			}
		}
		return out, red, nil
	case []any:
		if v == nil {
			return v, v, nil
		}
		out := make([]any, len(v))
		var red []any
		if ev.redact {
			red = make([]any, len(v))
		}
		for i, elem := range v {
			ev.path = append(ev.path, step{index: i})
			o, r, err := ev.value(elem)
			ev.path = ev.path[:len(ev.path)-1]
			if err != nil {
				return nil, nil, err
			}
			out[i] = o
			if red != nil {
				red[i] = r
			}
		}
		return out, red, nil
	}
	return v, v, nil
}

// clone deep-copies the maps and lists of a template's JSON value.
func clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, elem := range v {
			out[k] = clone(elem)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, elem := range v {
			out[i] = clone(elem)
		}
		return out
	}
	return v
}

// fieldPath appends a map key: .key for plain names, ["key"] for anything else.
func fieldPath(path, key string) string {
	if plainKey(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
