package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

// static holds the vendored htmx (pinned in the Makefile's HTMX_VERSION, with its licence,
// checked against static/SHA256SUMS by make assets and by the tests) and our own CSS and
// script.
//
//go:embed static
var static embed.FS

// Static is the files served under /assets/.
func Static() fs.FS {
	sub, _ := fs.Sub(static, "static")
	return sub
}

// Assets serves Static under /assets/, cacheable for an hour (the file names of vendored
// libraries carry their version).
func Assets() http.Handler {
	files := http.StripPrefix("/assets/", http.FileServerFS(Static()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
