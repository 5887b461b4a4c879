package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/names"
)

// auditPublisher is what the gateway needs to append to the audit trail.
type auditPublisher interface {
	Publish(ctx context.Context, subject, id string, v any) error
}

// auditor records the gateway's decisions in the audit trail (pkg/bus/README.md, "The audit
// trail"): every mutating request on a route that needs an identity, allowed or refused, and
// every request answered 401 or 403. A nil auditor records nothing.
type auditor struct {
	bus auditPublisher
	log *slog.Logger
	// timeout bounds each append; default auditTimeout.
	timeout time.Duration
	// failures counts the appends that failed (dray_audit_append_failures_total).
	failures *audit.Failures
}

// within gives an append of r its own deadline: the record is stored even when the client
// went away.
func (a *auditor) within(r *http.Request) (context.Context, context.CancelFunc) {
	d := a.timeout
	if d <= 0 {
		d = auditTimeout
	}
	return context.WithTimeout(context.WithoutCancel(r.Context()), d)
}

// auditTimeout bounds an append of the gateway, whatever the request's own context.
const auditTimeout = 30 * time.Second

// maxErrorBody is how much of an error answer an auditedWriter keeps to read its reason.
const maxErrorBody = 4 << 10

// auditedWriter follows one request through checkedMux: it sees the status and error the
// request is answered with, and stores its record.
type auditedWriter struct {
	http.ResponseWriter
	a          *auditor
	p          perm
	rec        v1.AuditRecord
	status     int
	errBody    bytes.Buffer
	handlerRan bool
	received   bool
	// deferred marks a request whose resources' project is in its body (apply): its
	// received record is stored by auditChange, once the handler knows the project and
	// before it changes anything.
	deferred bool
}

type auditKey struct{}

// start begins following r, a call of a route declaring p. The record names the route's verb
// and resource, the path's project and name, and where the call came from; never the query,
// the body or a header but the user agent. A webhook receiver's token stays out of the path.
func (a *auditor) start(w http.ResponseWriter, r *http.Request, p perm) (*auditedWriter, *http.Request) {
	project, name := r.PathValue("project"), r.PathValue("name")
	if p.resource == access.ResourceProjects && name == "" {
		name = project // DELETE /api/v1/projects/{project} names the Project by its path
	}
	path := r.URL.Path
	if _, pat, ok := strings.Cut(r.Pattern, " "); ok || r.Pattern != "" {
		if !ok {
			pat = r.Pattern
		}
		path = strings.NewReplacer("{project}", project, "{name}", name).Replace(pat)
	}
	verb := p.verb
	if verb == "" {
		verb = strings.ToLower(r.Method)
	}
	aw := &auditedWriter{ResponseWriter: w, a: a, p: p, rec: v1.AuditRecord{
		ID: "api/" + rand.Text(), Source: v1.AuditSourceAPI, Actor: "anonymous",
		Verb: verb, Resource: p.resource, Project: project, Name: name,
		Method: r.Method, Path: path, RemoteAddr: r.RemoteAddr, UserAgent: truncate(r.UserAgent(), 256),
	}}
	return aw, r.WithContext(context.WithValue(r.Context(), auditKey{}, aw))
}

// identify records who the request was authenticated as.
func (aw *auditedWriter) identify(id access.Identity) {
	aw.rec.Actor = id.Actor()
	if aw.p.ownProject {
		aw.rec.Project = id.Project
	}
}

// mutating reports whether the request asks for a change and needs an identity: those are
// recorded whatever their answer.
func (aw *auditedWriter) mutating(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return !aw.p.public
}

// beforeHandler stores the record of an allowed mutating request before its handler runs. If
// the trail does not take it, the request is answered 503 and its handler does not run:
// nothing changes unrecorded. It reports whether the handler may run.
func (aw *auditedWriter) beforeHandler(r *http.Request) bool {
	if aw.a == nil || !aw.mutating(r) {
		aw.handlerRan = true
		return true
	}
	if aw.p.ownProject {
		aw.handlerRan, aw.deferred = true, true
		return true
	}
	return aw.storeReceived(r)
}

// storeReceived stores the record of an allowed mutating request before it changes anything,
// or answers 503: nothing changes unrecorded. It reports whether the handler may go on.
func (aw *auditedWriter) storeReceived(r *http.Request) bool {
	rec := aw.rec
	rec.Time, rec.Result = time.Now().UTC(), v1.AuditAllowed
	ctx, cancel := aw.a.within(r)
	defer cancel()
	if err := audit.Append(ctx, aw.a.bus, &rec, "received"); err != nil {
		aw.a.failures.Inc(v1.AuditSourceAPI)
		writeError(aw, http.StatusServiceUnavailable, fmt.Errorf("the audit trail did not take the record of this request, so it was not carried out; try again: %w", err))
		return false
	}
	aw.received, aw.handlerRan = true, true
	return true
}

// finish stores the request's record with the status it was answered: refused when it was
// answered before its handler ran (401, 403, a bad name, 503 from beforeHandler) or with 401
// or 403, allowed otherwise. A record that cannot be stored now is logged as an error with
// its fields: the request was already answered.
func (aw *auditedWriter) finish(r *http.Request) {
	if aw.a == nil {
		return
	}
	status := aw.status
	if status == 0 {
		status = http.StatusOK
	}
	refused := !aw.handlerRan || status == http.StatusUnauthorized || status == http.StatusForbidden
	if !aw.received && !aw.mutating(r) && status != http.StatusUnauthorized && status != http.StatusForbidden {
		return
	}
	rec := aw.rec
	rec.Time, rec.Status, rec.Result = time.Now().UTC(), status, v1.AuditAllowed
	if refused {
		rec.Result = v1.AuditRefused
	}
	if status >= 400 {
		var e v1.ErrorResponse
		if json.Unmarshal(aw.errBody.Bytes(), &e) == nil {
			rec.Reason = e.Error
		}
	}
	ctx, cancel := aw.a.within(r)
	defer cancel()
	if err := audit.Append(ctx, aw.a.bus, &rec, "completed"); err != nil {
		aw.a.failures.Inc(v1.AuditSourceAPI)
		aw.a.log.Error("request answered but not recorded in the audit trail", "err", err, "id", rec.ID, "actor", rec.Actor,
			"verb", rec.Verb, "resource", rec.Resource, "project", rec.Project, "name", rec.Name, "result", rec.Result, "status", rec.Status)
	}
}

func (aw *auditedWriter) WriteHeader(status int) {
	if aw.status == 0 {
		aw.status = status
	}
	aw.ResponseWriter.WriteHeader(status)
}

func (aw *auditedWriter) Write(b []byte) (int, error) {
	if aw.status == 0 {
		aw.status = http.StatusOK
	}
	if aw.status >= 400 && aw.errBody.Len() < maxErrorBody {
		aw.errBody.Write(b[:min(len(b), maxErrorBody-aw.errBody.Len())])
	}
	return aw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer (flushes, deadlines).
func (aw *auditedWriter) Unwrap() http.ResponseWriter { return aw.ResponseWriter }

// auditChange files the record of a request whose project is in its body (apply) under
// project, when it names one, and stores its received record, before the handler changes
// anything. It answers 503 and reports false when the trail does not take it.
func auditChange(w http.ResponseWriter, r *http.Request, project string) bool {
	aw, ok := r.Context().Value(auditKey{}).(*auditedWriter)
	if !ok || !aw.deferred || aw.received {
		return true
	}
	if project != "" {
		aw.rec.Project = project
	}
	return aw.storeReceived(r)
}

// auditName records the name of the resource a route read from its body (promote and approve
// name their Stage there).
func auditName(r *http.Request, name string) {
	if aw, ok := r.Context().Value(auditKey{}).(*auditedWriter); ok {
		aw.rec.Name = name
	}
}

// auditOverride records on the request's record the safeguard it bypassed, e.g.
// v1.OverridePromotionWindows.
func auditOverride(r *http.Request, what string) {
	if aw, ok := r.Context().Value(auditKey{}).(*auditedWriter); ok {
		aw.rec.Override = what
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// auditRoutes registers the audit trail's reader: a project's records for those who may list
// auditrecords in it (its admins), every project's for system admins.
func (a *api) auditRoutes(mux router) {
	mux.HandleFunc("GET /api/v1/projects/{project}/audit", need(access.VerbList, access.ResourceAuditRecords), a.listAudit)
	mux.HandleFunc("GET /api/v1/audit", need(access.VerbList, access.ResourceAuditRecords), a.listAudit)
}

// listAudit answers one page of the trail, oldest first, filtered by the query: project (on
// /api/v1/audit), actor, verb, resource, from and to (RFC 3339), limit and continue.
func (a *api) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := audit.Filter{Project: r.PathValue("project"), Actor: q.Get("actor"), Verb: q.Get("verb"), Resource: q.Get("resource"), Continue: q.Get("continue")}
	var errs []error
	if f.Project == "" {
		if f.Project = q.Get("project"); f.Project == "" {
			f.AllProjects = true
		} else if err := names.Field("project", f.Project, names.Project); err != nil {
			errs = append(errs, err)
		}
	}
	if f.Verb != "" {
		if err := names.Field("verb", f.Verb, names.Project); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range []struct {
		field string
		to    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(t.field); v != "" {
			var err error
			if *t.to, err = time.Parse(time.RFC3339, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not an RFC 3339 time such as 2025-06-01T10:00:00Z", t.field, v))
			}
		}
	}
	if v := q.Get("limit"); v != "" {
		if _, err := fmt.Sscan(v, &f.Limit); err != nil || f.Limit <= 0 || f.Limit > audit.MaxLimit {
			errs = append(errs, fmt.Errorf("limit: %q is not a number from 1 to %d", v, audit.MaxLimit))
		}
	}
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, errors.Join(errs...))
		return
	}
	list, err := audit.Query(r.Context(), a.Bus.JS, f)
	switch {
	case errors.Is(err, audit.ErrBadContinue):
		writeError(w, http.StatusBadRequest, err)
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err)
	default:
		reply(w, list, nil)
	}
}
