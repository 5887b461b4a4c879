package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/services/gateway/ui"
)

// page marks a route of the web UI: a browser (a request that accepts text/html) that is not
// signed in is sent to /login, and a refusal is explained on an HTML page (or, for an htmx
// request, in a fragment the page shows) rather than answered in JSON. Other callers get the
// API's JSON answers, so the route table test walks UI routes like the rest.
func (p perm) page() perm { p.isPage = true; return p }

// wantsHTML tells a browser's request: an htmx request, or one that accepts text/html.
func wantsHTML(r *http.Request) bool {
	return r.Header.Get("HX-Request") != "" || strings.Contains(r.Header.Get("Accept"), "text/html")
}

// pageErrors holds back a JSON error answer of a UI route, so that flush can write it as
// HTML: the checks of checkedMux (auth.go) and the handlers write errors only one way.
type pageErrors struct {
	http.ResponseWriter
	r      *http.Request
	user   string
	render func(w http.ResponseWriter, r *http.Request, user string, status int, e v1.ErrorResponse)
	status int
	body   bytes.Buffer
}

func (p *pageErrors) WriteHeader(status int) {
	if status >= 400 && strings.HasPrefix(p.Header().Get("Content-Type"), "application/json") {
		p.status = status
		return
	}
	p.ResponseWriter.WriteHeader(status)
}

func (p *pageErrors) Write(b []byte) (int, error) {
	if p.status != 0 {
		return p.body.Write(b)
	}
	return p.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController flush Server-Sent Events through.
func (p *pageErrors) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// flush writes a held-back error: a 401 sends a browser to the login page (htmx follows
// HX-Redirect), any other is rendered.
func (p *pageErrors) flush() {
	if p.status == 0 {
		return
	}
	var e v1.ErrorResponse
	_ = json.Unmarshal(p.body.Bytes(), &e)
	p.Header().Del("WWW-Authenticate")
	if p.status == http.StatusUnauthorized {
		to := "/login?return=" + url.QueryEscape(p.r.URL.RequestURI())
		if p.r.Header.Get("HX-Request") != "" {
			p.Header().Set("HX-Redirect", to)
			p.ResponseWriter.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(p.ResponseWriter, p.r, to, http.StatusSeeOther)
		return
	}
	p.render(p.ResponseWriter, p.r, p.user, p.status, e)
}

// errorPage is the body of the error page.
type errorPage struct {
	Title, Message, Hint string
	Login                bool
}

// renderError explains a refused or failed UI request: the whole page for a navigation, a
// fragment for htmx (whose .error the page shows).
func renderError(r *ui.Renderer) func(w http.ResponseWriter, req *http.Request, user string, status int, e v1.ErrorResponse) {
	return func(w http.ResponseWriter, req *http.Request, user string, status int, e v1.ErrorResponse) {
		body := errorPage{Title: http.StatusText(status), Message: e.Error}
		switch status {
		case http.StatusForbidden:
			body.Title = "You may not do this"
			body.Hint = "The message names what was asked and a role that would allow it: ask an admin of the project for it, or sign in as someone who has it."
			body.Login = true
		case http.StatusNotFound:
			body.Title = "Not found"
		case http.StatusServiceUnavailable, http.StatusInternalServerError:
			body.Title = "Dray cannot answer right now"
			body.Hint = "The gateway could not read what the page needs (is NATS up?). Reload the page in a moment."
		}
		if req.Header.Get("HX-Request") != "" {
			r.Fragment(w, status, "errorfragment", body)
			return
		}
		r.Page(w, status, "error", ui.Page{Title: body.Title, User: user, CSRF: csrfOf(req), Body: body})
	}
}

// csrfOf is the CSRF token of r's browser session (its csrfCookie), which the page's sign-out
// form carries; "" when r has none.
func csrfOf(r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return ""
	}
	return c.Value
}
