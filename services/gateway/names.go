package gateway

import (
	"net/http"
	"strings"

	"github.com/drayhq/dray/pkg/names"
)

// router is what the route tables need from a mux.
type router interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// pathRules maps each wildcard a gateway route may use to the rule of pkg/names its value
// must meet. A route with a wildcard not listed here panics at registration, so a new route
// cannot skip the check by naming its wildcard differently.
var pathRules = map[string]func(string) error{
	"project": names.Project,
	"name":    names.Object,
	// A webhook token is the hex SHA-256 of the project and secret: a valid DNS-1123
	// subdomain, and a bound on what reaches the receiver lookup.
	"token": names.Object,
}

// checkedMux registers handlers on a ServeMux so that every path value a pattern names is
// checked with pkg/names before its handler runs: a project or name that could not be a NATS
// key or subject token (a wildcard such as *, '>', '.', spaces, NUL, '$', or more than the
// rule's length) is answered 400 naming the field, and never reaches a lookup. It keeps the
// patterns it registered, in order, so tests can walk them.
type checkedMux struct {
	*http.ServeMux
	patterns []string
}

func newCheckedMux() *checkedMux { return &checkedMux{ServeMux: http.NewServeMux()} }

// HandleFunc registers handler for pattern behind the name check.
func (m *checkedMux) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	wildcards := patternWildcards(pattern)
	for _, w := range wildcards {
		if pathRules[w] == nil {
			panic("gateway: route " + pattern + " has wildcard {" + w + "} without a name rule")
		}
	}
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		for _, field := range wildcards {
			if err := names.Field(field, r.PathValue(field), pathRules[field]); err != nil {
				writeError(w, http.StatusBadRequest, err)
				return
			}
		}
		handler(w, r)
	})
}

// patternWildcards lists the wildcard names of a ServeMux pattern, e.g. project and name
// for "GET /api/v1/projects/{project}/stages/{name}".
func patternWildcards(pattern string) []string {
	var out []string
	for rest := pattern; ; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			return out
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return out
		}
		w := strings.TrimSuffix(rest[open+1:open+end], "...")
		out = append(out, w)
		rest = rest[open+end+1:]
	}
}

// checkBodyNames checks names read from a request body, each with its field, and answers 400
// for the first that fails. It reports whether all passed.
func checkBodyNames(w http.ResponseWriter, fields ...bodyName) bool {
	for _, f := range fields {
		if err := names.Field(f.field, f.value, names.Object); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return false
		}
	}
	return true
}

// bodyName is a name read from a request body, with its JSON field.
type bodyName struct{ field, value string }
