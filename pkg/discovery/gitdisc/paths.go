package gitdisc

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// pathFilter is includePaths and excludePaths compiled.
type pathFilter struct {
	include, exclude []func(path string) bool
}

func newPathFilter(include, exclude []string) (pathFilter, error) {
	var f pathFilter
	var err error
	if f.include, err = compilePaths("includePaths", include); err != nil {
		return f, err
	}
	f.exclude, err = compilePaths("excludePaths", exclude)
	return f, err
}

// active reports whether any path filter is set, so commits' changes must be read.
func (f pathFilter) active() bool { return len(f.include)+len(f.exclude) > 0 }

// qualifies reports whether at least one of paths is included (by includePaths, or because
// there are none) and not excluded.
func (f pathFilter) qualifies(paths []string) bool {
	for _, p := range paths {
		if (len(f.include) == 0 || anyMatch(f.include, p)) && !anyMatch(f.exclude, p) {
			return true
		}
	}
	return false
}

func anyMatch(ms []func(string) bool, path string) bool {
	for _, m := range ms {
		if m(path) {
			return true
		}
	}
	return false
}

// compilePaths compiles path filter entries: glob:<doublestar pattern>, regex: or
// regexp:<RE2, unanchored>, or else a path prefix matching the path itself and everything
// under it.
func compilePaths(field string, entries []string) ([]func(string) bool, error) {
	var out []func(string) bool
	for i, e := range entries {
		switch {
		case strings.HasPrefix(e, "glob:"):
			pattern := strings.TrimPrefix(e, "glob:")
			if !doublestar.ValidatePattern(pattern) {
				return nil, fmt.Errorf("%s[%d] %q is not a valid glob pattern", field, i, e)
			}
			out = append(out, func(p string) bool { ok, _ := doublestar.Match(pattern, p); return ok })
		case strings.HasPrefix(e, "regex:"), strings.HasPrefix(e, "regexp:"):
			_, expr, _ := strings.Cut(e, ":")
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("%s[%d] %q is not a valid RE2 expression: %w", field, i, e, err)
			}
			out = append(out, re.MatchString)
		default:
			prefix := strings.Trim(strings.TrimPrefix(e, "./"), "/")
			if prefix == "" {
				return nil, fmt.Errorf("%s[%d] is empty", field, i)
			}
			out = append(out, func(p string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") })
		}
	}
	return out, nil
}
