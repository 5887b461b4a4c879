package lint

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/drayhq/dray/pkg/schema"
)

// config checks the expressions in the string values of a step's config, then the config
// against the step's JSON Schema. A templated value is only known at run time and may become
// a number, a boolean or an object, so its own problems (type, format, length, enum) are not
// reported; an unknown field is, whatever its value.
func (l *linter) config(a at, uses string, config map[string]any, sc *scope) {
	templatedAt := map[string]bool{}
	walk(config, nil, func(tokens []string, s string) {
		if !templated(s) {
			return
		}
		p := schema.Path(tokens)
		templatedAt[p] = true
		l.template(a.field(".config."+p), s, sc)
	})
	name := "steps/" + uses
	if uses == "" || !schema.Exists(name) {
		return
	}
	var doc any = config
	if config == nil {
		doc = map[string]any{}
	}
	err := schema.Validate(name, doc)
	var se *schema.Error
	if !errors.As(err, &se) {
		if err != nil {
			l.errorf(a.field(".config"), "cannot check against the %s schema: %v", uses, err)
		} else if len(templatedAt) == 0 {
			l.human(a, uses, config)
		}
		return
	}
	for _, p := range se.Problems {
		if templatedAt[p.Path] && !strings.HasPrefix(p.Msg, "unknown field") {
			continue
		}
		path := ".config"
		if p.Path != "" {
			path += "." + p.Path
		}
		l.errorf(a.field(path), "%s (%s config)", p.Msg, uses)
	}
}

// walk calls fn with the path and value of every string in v, map keys in sorted order.
func walk(v any, tokens []string, fn func(tokens []string, s string)) {
	switch v := v.(type) {
	case string:
		fn(tokens, v)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			walk(v[k], append(slices.Clip(tokens), k), fn)
		}
	case []any:
		for i, e := range v {
			walk(e, append(slices.Clip(tokens), strconv.Itoa(i)), fn)
		}
	}
}
