package argocdtest

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drayhq/dray/pkg/argocd"
)

// App is an Application held by the fake server.
type App struct {
	Name, Namespace string
	Labels          map[string]string
	Annotations     map[string]string
	// Spec is the Application's spec, kept whole (unknown fields survive an update).
	Spec      map[string]any
	Status    argocd.ApplicationStatus
	Operation *argocd.Operation

	// Outcome is what the fake controller does with the next sync.
	Outcome Outcome
	// phase moves the app through a sync: 0 idle, 1 requested, 2 running, 3 done.
	phase  int
	health int
}

// Outcome scripts how a sync goes.
type Outcome struct {
	// Phase is the operation's final phase: Succeeded (default), Failed or Error.
	Phase string
	// Message is the operation's final message.
	Message string
	// Health are the health statuses the app reports after the sync, one per GET, the last
	// one kept. Default Progressing, then Healthy.
	Health []string
	// Revisions, when set, are the revisions the sync reports having synced, instead of
	// those asked for (e.g. the branch moved on); used once.
	Revisions []string
}

// Request is a request the server received.
type Request struct {
	Method, Path string
	Query        map[string][]string
	Body         map[string]any
}

// Server is a fake Argo CD API server. It is safe for concurrent use.
type Server struct {
	*httptest.Server
	Token string

	mu   sync.Mutex
	apps map[string]*App
	reqs []Request
	now  time.Time
}

// NewServer starts a fake API server over TLS that accepts token; it stops when the test ends.
func NewServer(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{Token: token, apps: map[string]*App{}, now: time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/applications", s.list)
	mux.HandleFunc("GET /api/v1/applications/{name}", s.get)
	mux.HandleFunc("PUT /api/v1/applications/{name}/spec", s.updateSpec)
	mux.HandleFunc("POST /api/v1/applications/{name}/sync", s.sync)
	s.Server = httptest.NewTLSServer(s.auth(mux))
	t.Cleanup(s.Close)
	return s
}

// Config returns a client configuration that reaches the server and trusts its certificate.
func (s *Server) Config() argocd.Config {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	return argocd.Config{Server: s.URL, Token: s.Token, CA: ca}
}

// Add stores app, synced and healthy unless its Status says otherwise.
func (s *Server) Add(app *App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if app.Namespace == "" {
		app.Namespace = argocd.DefaultNamespace
	}
	if app.Status.Sync.Status == "" {
		app.Status.Sync.Status = argocd.SyncSynced
	}
	if app.Status.Health.Status == "" {
		app.Status.Health.Status = argocd.HealthHealthy
	}
	s.apps[app.Namespace+"/"+app.Name] = app
}

// Update changes the stored app under the server's lock.
func (s *Server) Update(ns, name string, f func(*App)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.apps[ns+"/"+name])
}

// Spec returns a copy of the app's spec as stored.
func (s *Server) Spec(ns, name string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.apps[ns+"/"+name].Spec)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// Requests returns the requests received so far that match method (all when empty).
func (s *Server) Requests(method string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.reqs {
		if method == "" || r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			writeError(w, http.StatusUnauthorized, 16, "invalid session: token signature is invalid")
			return
		}
		req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
		if r.Body != nil && r.ContentLength != 0 {
			_ = json.NewDecoder(r.Body).Decode(&req.Body)
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
		next.ServeHTTP(w, withBody(r, req.Body))
	})
}

type bodyKey struct{}

func withBody(r *http.Request, body map[string]any) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
}

func body(r *http.Request) map[string]any {
	b, _ := r.Context().Value(bodyKey{}).(map[string]any)
	return b
}

// writeError answers as grpc-gateway does: {"error", "code", "message"}.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": msg, "code": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// find returns the app named in the request, or answers 404.
func (s *Server) find(w http.ResponseWriter, r *http.Request) *App {
	ns := r.URL.Query().Get("appNamespace")
	if ns == "" {
		ns = argocd.DefaultNamespace
	}
	name := r.PathValue("name")
	app := s.apps[ns+"/"+name]
	if app == nil {
		writeError(w, http.StatusNotFound, 5, fmt.Sprintf("applications.argoproj.io %q not found", name))
	}
	return app
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app := s.find(w, r)
	if app == nil {
		return
	}
	s.advance(app)
	if r.URL.Query().Get("refresh") != "" {
		t := s.tick()
		app.Status.ReconciledAt = &t
	}
	writeJSON(w, s.render(app))
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := r.URL.Query().Get("appNamespace")
	want := parseEqualities(r.URL.Query().Get("selector"))
	items := []map[string]any{}
	for _, app := range s.apps {
		if ns != "" && app.Namespace != ns {
			continue
		}
		ok := true
		for k, v := range want {
			if app.Labels[k] != v {
				ok = false
			}
		}
		if ok {
			s.advance(app)
			items = append(items, s.render(app))
		}
	}
	writeJSON(w, map[string]any{"metadata": map[string]any{}, "items": items})
}

// parseEqualities reads the k=v terms of a selector; the client checks the rest itself.
func parseEqualities(sel string) map[string]string {
	out := map[string]string{}
	for term := range strings.SplitSeq(sel, ",") {
		if k, v, ok := strings.Cut(term, "="); ok && !strings.ContainsAny(k, "!( ") {
			out[k] = v
		}
	}
	return out
}

func (s *Server) updateSpec(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app := s.find(w, r)
	if app == nil {
		return
	}
	spec := body(r)
	if spec == nil {
		writeError(w, http.StatusBadRequest, 3, "spec is required")
		return
	}
	app.Spec = spec
	app.Status.Sync.Status = argocd.SyncOutOfSync
	writeJSON(w, spec)
}

func (s *Server) sync(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var req argocd.SyncRequest
	b, _ := json.Marshal(body(r))
	if err := json.Unmarshal(b, &req); err != nil {
		writeError(w, http.StatusBadRequest, 3, err.Error())
		return
	}
	q := r.URL.Query()
	q.Set("appNamespace", req.AppNamespace)
	r.URL.RawQuery = q.Encode()
	app := s.find(w, r)
	if app == nil {
		return
	}
	if app.Operation != nil || (app.Status.OperationState != nil && !app.Status.OperationState.Completed()) {
		writeError(w, http.StatusBadRequest, 9, "another operation is already in progress")
		return
	}
	op := &argocd.Operation{Sync: &argocd.SyncOperation{Revision: req.Revision, Revisions: req.Revisions, Prune: req.Prune},
		Info: req.Infos, InitiatedBy: &argocd.InitiatedBy{Username: "dray"}}
	if req.SyncOptions != nil {
		op.Sync.SyncOptions = req.SyncOptions.Items
	}
	app.Operation = op
	app.phase = 1
	writeJSON(w, s.render(app))
}

// advance plays the controller: each GET (or list) of a syncing app moves it one state on.
func (s *Server) advance(app *App) {
	switch app.phase {
	case 1: // the controller picks the operation up
		app.Status.OperationState = &argocd.OperationState{Operation: *app.Operation, Phase: argocd.OperationRunning,
			Message: "one or more tasks are running", StartedAt: s.tick()}
		app.Operation = nil
		app.Status.Sync.Status = argocd.SyncOutOfSync
		app.phase = 2
	case 2: // the sync ends
		st := app.Status.OperationState
		o := app.Outcome
		st.Phase, st.Message = o.Phase, o.Message
		if st.Phase == "" {
			st.Phase, st.Message = argocd.OperationSucceeded, "successfully synced (all tasks run)"
		}
		fin := s.tick()
		st.FinishedAt = &fin
		revs := s.syncedRevisions(app)
		if o.Revisions != nil {
			revs, app.Outcome.Revisions = o.Revisions, nil
		}
		st.SyncResult = &argocd.SyncResult{}
		multi := len(sources(app.Spec)) > 1 || app.Spec["sources"] != nil
		if multi {
			st.SyncResult.Revisions = revs
		} else if len(revs) > 0 {
			st.SyncResult.Revision = revs[0]
		}
		if st.Phase == argocd.OperationSucceeded {
			app.Status.Sync = argocd.SyncStatus{Status: argocd.SyncSynced, Revision: st.SyncResult.Revision, Revisions: st.SyncResult.Revisions}
			app.health = 0
			app.Status.Health = argocd.HealthStatus{Status: s.healthAt(app)}
		}
		rec := s.tick()
		app.Status.ReconciledAt = &rec
		app.phase = 3
	case 3: // health settles, one state per GET
		if app.Status.OperationState != nil && app.Status.OperationState.Phase == argocd.OperationSucceeded {
			app.health++
			app.Status.Health = argocd.HealthStatus{Status: s.healthAt(app)}
			if app.Status.Health.Status == argocd.HealthDegraded {
				app.Status.Health.Message = "Deployment \"web\" exceeded its progress deadline"
			}
		}
	}
}

func (s *Server) healthAt(app *App) string {
	h := app.Outcome.Health
	if len(h) == 0 {
		h = []string{argocd.HealthProgressing, argocd.HealthHealthy}
	}
	return h[min(app.health, len(h)-1)]
}

// syncedRevisions are the revisions the pending sync asked for, else the sources' targets.
func (s *Server) syncedRevisions(app *App) []string {
	srcs := sources(app.Spec)
	revs := make([]string, len(srcs))
	for i, src := range srcs {
		revs[i], _ = src["targetRevision"].(string)
		if revs[i] == "" {
			revs[i] = "HEAD"
		}
	}
	op := app.Status.OperationState.Operation.Sync
	if op == nil {
		return revs
	}
	if op.Revision != "" && len(revs) > 0 {
		revs[0] = op.Revision
	}
	for i, r := range op.Revisions {
		if i < len(revs) {
			revs[i] = r
		}
	}
	return revs
}

func sources(spec map[string]any) []map[string]any {
	if list, ok := spec["sources"].([]any); ok {
		var out []map[string]any
		for _, s := range list {
			m, _ := s.(map[string]any)
			out = append(out, m)
		}
		return out
	}
	if m, ok := spec["source"].(map[string]any); ok {
		return []map[string]any{m}
	}
	return nil
}

// tick is the fake clock: every call is one second later.
func (s *Server) tick() time.Time {
	s.now = s.now.Add(time.Second)
	return s.now
}

func (s *Server) render(app *App) map[string]any {
	meta := map[string]any{"name": app.Name, "namespace": app.Namespace, "resourceVersion": fmt.Sprint(len(s.reqs))}
	if app.Labels != nil {
		meta["labels"] = maps.Clone(app.Labels)
	}
	if app.Annotations != nil {
		meta["annotations"] = maps.Clone(app.Annotations)
	}
	out := map[string]any{"metadata": meta, "spec": app.Spec, "status": app.Status}
	if app.Operation != nil {
		out["operation"] = app.Operation
	}
	// Encode and decode so the caller gets plain JSON values, not live pointers.
	b, _ := json.Marshal(out)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}
