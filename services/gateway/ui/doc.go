// Package ui is Dray's web UI, served by the gateway at / beside /api/v1 (docs/ui.md): the
// projects list, a project's pipeline graph, its Freight timeline and Promotion details,
// live through Server-Sent Events, with actions that call the API as the signed-in user.
//
// It is server-rendered html/template with htmx (vendored in static/, pinned with its
// licence and SHA-256 sums, embedded with go:embed) rather than a prebuilt JavaScript
// bundle, because:
//   - building, running and testing Dray needs Go alone: no Node toolchain, no bundle to
//     rebuild and review when a template changes;
//   - the pages are made from the same Go types and checks the API uses (pkg/api/v1,
//     pkg/pipeline), so the UI cannot drift from what the API answers;
//   - the graph's layout is computed in Go (layout.go) and sent as HTML and SVG, so a
//     200-Stage pipeline costs the browser one parse, not a client-side layout pass;
//   - a live update replaces one server-rendered fragment (a Stage card, a step table),
//     which htmx does in a few attributes; the little script of our own (static/app.js)
//     only feeds Server-Sent Events to htmx, sends the CSRF header and shows action results.
package ui
