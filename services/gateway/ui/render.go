package ui

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:templates
var templateFS embed.FS

// Page is what every page's layout shows around its body.
type Page struct {
	Title string
	// User is the signed-in identity as the API records it ("" on the login page).
	User string
	// CSRF is the browser session's CSRF token, which the sign-out form carries.
	CSRF string
	// Project, when set, adds the project's tabs and the Server-Sent Events stream that
	// keeps the page live.
	Project string
	// Tab is the project tab shown: pipeline or freight.
	Tab  string
	Body any
}

// Renderer renders the pages and fragments of templates/. It is safe for concurrent use.
type Renderer struct {
	pages map[string]*template.Template
}

var funcs = template.FuncMap{
	"ago": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return time.Since(*t).Round(time.Second).String() + " ago"
	},
	"until": func(t *time.Time) string { // a time to come, as "in 2h30m"
		if t == nil {
			return ""
		}
		d := time.Until(*t).Round(time.Minute)
		if d <= 0 {
			return "now"
		}
		text := strings.TrimSuffix(d.String(), "0s")
		if strings.HasSuffix(text, "h0m") { // 3h, not 3h0m
			text = strings.TrimSuffix(text, "0m")
		}
		return "in " + text
	},
	"join":  strings.Join,
	"lower": strings.ToLower,
	"json":  func(v any) string { return fmt.Sprintf("%v", v) },
	"output": func(v any) string { // a step output: a string as it is, anything else as JSON
		if s, ok := v.(string); ok {
			return s
		}
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprintf("%v", v)
		}
		return string(data)
	},
	"css": func(s string) string { // a status as a class name: letters only
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				return r
			}
			return -1
		}, strings.ToLower(s))
	},
}

// NewRenderer parses the templates: layout.html and the fragments (_*.html) go with every
// page.
func NewRenderer() (*Renderer, error) {
	common, err := template.New("ui").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("parse ui templates: %w", err)
	}
	pages, err := fs.Glob(templateFS, "templates/[a-z]*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(common.Clone()).ParseFS(templateFS, p)
		if err != nil {
			return nil, fmt.Errorf("parse ui template %s: %w", p, err)
		}
		r.pages[name] = t
	}
	r.pages[""] = common
	return r, nil
}

// Page writes a whole page: the layout around the page template name.
func (r *Renderer) Page(w http.ResponseWriter, status int, name string, p Page) {
	t := r.pages[name]
	if t == nil {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	r.write(w, status, t, "layout", p)
}

// Fragment writes one fragment (a template of _*.html), for htmx to swap in.
func (r *Renderer) Fragment(w http.ResponseWriter, status int, name string, data any) {
	r.write(w, status, r.pages[""], name, data)
}

func (r *Renderer) write(w http.ResponseWriter, status int, t *template.Template, name string, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.Copy(w, &buf)
}
