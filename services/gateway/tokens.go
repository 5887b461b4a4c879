package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/token"
)

// tokenRoutes registers who-am-I and the API tokens of projects and of the system.
func (a *api) tokenRoutes(mux router) {
	mux.HandleFunc("GET /api/v1/whoami", anyIdentity(), a.whoami)
	mux.HandleFunc("POST /api/v1/projects/{project}/tokens", need(access.VerbCreate, access.ResourceTokens), a.createToken)
	mux.HandleFunc("GET /api/v1/projects/{project}/tokens", need(access.VerbList, access.ResourceTokens), a.listTokens)
	mux.HandleFunc("DELETE /api/v1/projects/{project}/tokens/{name}", need(access.VerbDelete, access.ResourceTokens), a.revokeToken)
	// System-admin tokens belong to no project: only a system admin passes these.
	mux.HandleFunc("POST /api/v1/tokens", need(access.VerbCreate, access.ResourceTokens), a.createToken)
	mux.HandleFunc("GET /api/v1/tokens", need(access.VerbList, access.ResourceTokens), a.listTokens)
	mux.HandleFunc("DELETE /api/v1/tokens/{name}", need(access.VerbDelete, access.ResourceTokens), a.revokeToken)
}

func (a *api) whoami(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	reply(w, v1.WhoAmI{Actor: id.Actor(), Project: id.Project, Role: id.Role, SystemAdmin: id.SystemAdmin}, nil)
}

// createToken makes a token and answers it, once; only its hash is stored.
func (a *api) createToken(w http.ResponseWriter, r *http.Request) {
	var req v1.CreateTokenRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode token request: %w", err))
		return
	}
	project := r.PathValue("project")
	rec := v1.APIToken{Name: req.Name, Project: project, Role: req.Role, SystemAdmin: project == "", CreatedBy: identity(r).Actor()}
	var errs []error
	if err := names.Field("name", req.Name, names.Project); err != nil {
		errs = append(errs, fmt.Errorf("%w (a token name is a DNS-1123 label)", err))
	}
	switch {
	case project == "" && req.Role != "":
		errs = append(errs, errors.New("role: a system-admin token has no role; create a project token with /api/v1/projects/<project>/tokens"))
	case project != "" && req.SystemAdmin:
		errs = append(errs, errors.New("systemAdmin: a project token cannot be a system admin; a system admin creates one with dray token create --system-admin"))
	case project != "" && !a.auth.policies.Get(project).HasRole(req.Role):
		errs = append(errs, fmt.Errorf("role: %q is not a role of project %s: use viewer, developer or admin, or apply a ServiceAccount (or Kargo Role) of that name first", req.Role, project))
	}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("expiresIn: %q is not a positive duration such as 720h", req.ExpiresIn))
		} else {
			at := time.Now().UTC().Add(d).Truncate(time.Second)
			rec.ExpiresAt = &at
		}
	}
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, errors.Join(errs...))
		return
	}
	text, rec, err := a.auth.store.Create(r.Context(), rec)
	switch {
	case errors.Is(err, token.ErrExists):
		writeError(w, http.StatusConflict, err)
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	rec.SHA256 = ""
	a.Log.Info("token created", "project", project, "token", rec.Name, "role", rec.Role, "systemAdmin", rec.SystemAdmin, "actor", rec.CreatedBy)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(v1.CreateTokenResponse{APIToken: rec, Token: text})
}

func (a *api) listTokens(w http.ResponseWriter, r *http.Request) {
	list, err := a.auth.store.List(r.Context(), r.PathValue("project"))
	reply(w, list, err)
}

func (a *api) revokeToken(w http.ResponseWriter, r *http.Request) {
	project, name := r.PathValue("project"), r.PathValue("name")
	err := a.auth.store.Revoke(r.Context(), project, name)
	switch {
	case errors.Is(err, token.ErrNotFound):
		writeError(w, http.StatusNotFound, err)
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	a.Log.Info("token revoked", "project", project, "token", name, "actor", identity(r).Actor())
	w.WriteHeader(http.StatusNoContent)
}

// visibleProjects is what GET /api/v1/projects shows an identity: every project to a system
// admin, its own to a project token, those its claims map to a role in to an OIDC user.
func visibleProjects(id access.Identity, all []string, policy func(project string) *access.Policy) []string {
	if id.SystemAdmin {
		return all
	}
	out := []string{}
	for _, p := range all {
		if len(id.Roles(p, policy(p))) > 0 {
			out = append(out, p)
		}
	}
	return out
}
