package gateway

import (
	"net/http"
	"strings"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/names"
)

// router is what the route tables need from a mux: each route declares who may call it.
type router interface {
	HandleFunc(pattern string, p perm, handler func(http.ResponseWriter, *http.Request))
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

// checkedMux registers handlers on a ServeMux so that every request is authenticated and
// authorized as its route declares (auth.go), and every path value a pattern names is checked
// with pkg/names before its handler runs: a project or name that could not be a NATS key or
// subject token (a wildcard such as *, '>', '.', spaces, NUL, '$', or more than the rule's
// length) is answered 400 naming the field, and never reaches a lookup. A route registered
// without a permission panics, so a new route cannot skip the checks. It keeps the patterns it
// registered, in order, with their permissions, so tests can walk them.
type checkedMux struct {
	*http.ServeMux
	auth     *authn
	audit    *auditor
	patterns []string
	perms    map[string]perm
	// pageError renders the errors of UI routes (web.go); nil answers them in JSON.
	pageError func(w http.ResponseWriter, r *http.Request, user string, status int, e v1.ErrorResponse)
}

func newCheckedMux(auth *authn) *checkedMux {
	return &checkedMux{ServeMux: http.NewServeMux(), auth: auth, perms: map[string]perm{}}
}

// Handle registers h for pattern behind the checks of HandleFunc.
func (m *checkedMux) Handle(pattern string, p perm, h http.Handler) {
	m.HandleFunc(pattern, p, h.ServeHTTP)
}

// HandleFunc registers handler for pattern behind authentication, the name check and
// authorization, in that order: an anonymous caller learns nothing about names. Every call is
// followed by the auditor (audit.go), which records mutating calls and refusals.
func (m *checkedMux) HandleFunc(pattern string, p perm, handler func(http.ResponseWriter, *http.Request)) {
	if err := p.validate(); err != nil {
		panic("gateway: route " + pattern + ": " + err.Error())
	}
	wildcards := patternWildcards(pattern)
	for _, w := range wildcards {
		if pathRules[w] == nil {
			panic("gateway: route " + pattern + " has wildcard {" + w + "} without a name rule")
		}
	}
	m.patterns = append(m.patterns, pattern)
	m.perms[pattern] = p
	m.ServeMux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		var pw *pageErrors // under the auditor, which records the error as the API words it
		if p.isPage && m.pageError != nil && wantsHTML(r) {
			pw = &pageErrors{ResponseWriter: w, r: r, render: m.pageError}
			defer pw.flush()
			w = pw
		}
		aw, r := m.audit.start(w, r, p)
		defer aw.finish(r)
		w = aw
		var id access.Identity
		if !p.public {
			var ok bool
			if id, ok = m.auth.authenticate(w, r); !ok {
				return
			}
			aw.identify(id)
			if pw != nil {
				pw.user = id.Actor()
			}
		}
		for _, field := range wildcards {
			if err := names.Field(field, r.PathValue(field), pathRules[field]); err != nil {
				writeError(w, http.StatusBadRequest, err)
				return
			}
		}
		if p.verb != "" && !m.auth.authorize(w, id, p.request(r, id)) {
			return
		}
		if !p.public {
			r = r.WithContext(withIdentity(r.Context(), id))
		}
		if !aw.beforeHandler(r) {
			return
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
		if w != "$" { // {$} anchors the end of a path: it matches no value
			out = append(out, w)
		}
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
