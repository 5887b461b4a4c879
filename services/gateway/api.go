package gateway

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/window"
)

type api struct {
	service.Deps
	// route is Options.Route.
	route func(uses string) (string, bool)
	// auth authenticates and authorizes requests.
	auth *authn
	// metrics are the gateway's families (metrics.go).
	metrics *metrics
	// previewSteps are the steps the promote preview runs (Options.PreviewSteps); nil: no
	// diff in the preview.
	previewSteps map[string]steps.Step
	// argoCD is Options.ArgoCDURL.
	argoCD string
	// streams ends when the gateway shuts down, and with it every stream of Server-Sent
	// Events (streamContext); nil: never.
	streams context.Context
}

// streamContext is the context of a long-lived response to r (Server-Sent Events): it ends
// with the request or when the gateway shuts down, which http.Server.Shutdown does not do
// by itself, so that clients see the gateway go and reconnect.
func (a *api) streamContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	if a.streams == nil {
		return ctx, cancel
	}
	stop := context.AfterFunc(a.streams, cancel)
	return ctx, func() { stop(); cancel() }
}

func (a *api) routes(mux router) {
	mux.HandleFunc("POST /api/v1/resources", applyPerm(), a.apply)
	mux.HandleFunc("GET /api/v1/projects/{project}/secrets", need(access.VerbList, access.ResourceSecrets), a.listSecrets)
	mux.HandleFunc("GET /api/v1/projects", anyIdentity(), a.listProjects)
	mux.HandleFunc("GET /api/v1/projects/{project}/stages", need(access.VerbList, access.ResourceStages), a.listStages)
	mux.HandleFunc("GET /api/v1/projects/{project}/stages/{name}", need(access.VerbGet, access.ResourceStages), a.getStage)
	mux.HandleFunc("POST /api/v1/projects/{project}/stages/{name}/verify", need(access.VerbUpdate, access.ResourceStages), a.verify)
	mux.HandleFunc("POST /api/v1/projects/{project}/stages/{name}/pause", need(access.VerbUpdate, access.ResourceStages), a.pause)
	mux.HandleFunc("POST /api/v1/projects/{project}/stages/{name}/resume", need(access.VerbUpdate, access.ResourceStages), a.resume)
	mux.HandleFunc("GET /api/v1/projects/{project}/freight", need(access.VerbList, access.ResourceFreight), a.listFreight)
	mux.HandleFunc("GET /api/v1/projects/{project}/freight/{name}", need(access.VerbGet, access.ResourceFreight), a.getFreight)
	mux.HandleFunc("POST /api/v1/projects/{project}/freight/{name}/approve", need(access.VerbApprove, access.ResourceStages).nameInBody(), a.approve)
	// Rejecting is the reverse of approving: the approve verb on the Freight.
	mux.HandleFunc("POST /api/v1/projects/{project}/freight/{name}/reject", need(access.VerbApprove, access.ResourceFreight), a.reject)
	mux.HandleFunc("PUT /api/v1/projects/{project}/freight/{name}/alias", need(access.VerbUpdate, access.ResourceFreight), a.setAlias)
	mux.HandleFunc("GET /api/v1/projects/{project}/promotions", need(access.VerbList, access.ResourcePromotions), a.listPromotions)
	mux.HandleFunc("GET /api/v1/projects/{project}/promotions/{name}", need(access.VerbGet, access.ResourcePromotions), a.getPromotion)
	mux.HandleFunc("GET /api/v1/projects/{project}/promotions/{name}/watch", need(access.VerbGet, access.ResourcePromotions), a.watchPromotion)
	mux.HandleFunc("POST /api/v1/projects/{project}/promotions", need(access.VerbPromote, access.ResourceStages).nameInBody(), a.promote)
	mux.HandleFunc("POST /api/v1/projects/{project}/promotions/{name}/abort", need(access.VerbUpdate, access.ResourcePromotions), a.abort)
	// Human steps: promote on the Promotion's Stage (read from the Promotion), then the
	// step's own rule (human.go).
	mux.HandleFunc("POST /api/v1/projects/{project}/promotions/{name}/approve", need(access.VerbPromote, access.ResourceStages).nameInBody(), a.approveStep)
	mux.HandleFunc("POST /api/v1/projects/{project}/promotions/{name}/answer", need(access.VerbPromote, access.ResourceStages).nameInBody(), a.answerStep)
	mux.HandleFunc("GET /api/v1/projects/{project}/eventrouters", need(access.VerbList, access.ResourceEventRouters), a.listEventRouters)
	mux.HandleFunc("GET /api/v1/projects/{project}/warehouses", need(access.VerbList, access.ResourceWarehouses), a.listWarehouses)
	mux.HandleFunc("GET /api/v1/projects/{project}/warehouses/{name}", need(access.VerbGet, access.ResourceWarehouses), a.getWarehouse)
	mux.HandleFunc("POST /api/v1/projects/{project}/warehouses/{name}/refresh", need(access.VerbUpdate, access.ResourceWarehouses), a.refresh)
	a.deleteRoutes(mux)  // DELETE /api/v1/projects/{project}/<resource>/{name}
	a.webhookRoutes(mux) // POST /webhooks/{project}/{token}, GET …/webhookreceivers
	a.tokenRoutes(mux)   // /api/v1/whoami, …/tokens
	a.auditRoutes(mux)   // GET /api/v1/audit, …/projects/{project}/audit
}

func (a *api) listProjects(w http.ResponseWriter, r *http.Request) {
	names, err := store.Projects(r.Context(), a.Bus)
	if err != nil {
		reply(w, nil, err)
		return
	}
	listPage(w, r, visibleProjects(identity(r), names, a.auth.policies.Get), func(n string) string { return n })
}

// listStages answers a page of the project's Stages, each with its recorded status; only
// the page's Stages are read.
func (a *api) listStages(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	p, err := pageOf(r)
	if err != nil {
		replyPage(w, nil, "", 0, err)
		return
	}
	stages, next, remaining, err := store.ListPage[v1.Stage](r.Context(), a.Bus, a.Bus.Resources, bus.ResourceKey(project, v1.KindStage, ""), p)
	for i := range stages {
		if err != nil {
			break
		}
		var s *v1.Stage
		if s, err = store.Stage(r.Context(), a.Bus, project, stages[i].Metadata.Name); err == nil {
			err = a.windowStatus(r.Context(), project, s)
			stages[i] = *s
		}
	}
	replyPage(w, stages, next, remaining, err)
}

func (a *api) getStage(w http.ResponseWriter, r *http.Request) {
	s, err := store.Stage(r.Context(), a.Bus, r.PathValue("project"), r.PathValue("name"))
	if err == nil {
		err = a.windowStatus(r.Context(), r.PathValue("project"), s)
	}
	reply(w, s, err)
}

// windowStatus fills in what Stage s's promotion windows say now (docs/resources.md,
// "Promotion windows"), when any apply; an invalid window reads as closed, as the queue
// then holds the Stage's Promotions.
func (a *api) windowStatus(ctx context.Context, project string, s *v1.Stage) error {
	ws, err := store.Windows(ctx, a.Bus, project, s)
	if err != nil || len(ws) == 0 {
		return err
	}
	st, err := window.Evaluate(ws, time.Now())
	if err != nil {
		st = v1.PromotionWindowStatus{Closed: true, Reason: err.Error()}
	}
	s.Status.PromotionWindow = &st
	return nil
}

func (a *api) listFreight(w http.ResponseWriter, r *http.Request) {
	p, err := pageOf(r)
	if err != nil {
		replyPage(w, nil, "", 0, err)
		return
	}
	f, next, remaining, err := store.ListPage[v1.Freight](r.Context(), a.Bus, a.Bus.Freight, bus.Key(r.PathValue("project"), ""), p)
	replyPage(w, f, next, remaining, err)
}

func (a *api) getFreight(w http.ResponseWriter, r *http.Request) {
	f, err := store.Freight(r.Context(), a.Bus, r.PathValue("project"), r.PathValue("name"))
	reply(w, f, err)
}

// listPromotions answers a page of the project's Promotions, in name order (a Promotion's
// name starts with its Stage's, then the time it was asked for); only the page's are read.
func (a *api) listPromotions(w http.ResponseWriter, r *http.Request) {
	p, err := pageOf(r)
	if err != nil {
		replyPage(w, nil, "", 0, err)
		return
	}
	list, next, remaining, err := store.ListPage[v1.Promotion](r.Context(), a.Bus, a.Bus.Promotions, bus.Key(r.PathValue("project"), ""), p)
	replyPage(w, list, next, remaining, err)
}

func (a *api) getPromotion(w http.ResponseWriter, r *http.Request) {
	p, err := store.Promotion(r.Context(), a.Bus, r.PathValue("project"), r.PathValue("name"))
	reply(w, p, err)
}

// promote checks the request against what is stored, then publishes the promote command
// and answers with the name the Promotion will have.
func (a *api) promote(w http.ResponseWriter, r *http.Request) {
	var cmd v1.PromoteCommand
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&cmd); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode promote request: %w", err))
		return
	}
	cmd.Project = r.PathValue("project")
	if !checkBodyNames(w, bodyName{"stage", cmd.Stage}, bodyName{"freight", cmd.Freight}) ||
		!a.authorizeName(w, r, access.VerbPromote, access.ResourceStages, cmd.Stage) {
		return
	}
	cmd.Actor = identity(r).Actor() // who proved it, never what the body says
	if cmd.ID == "" {               // a sender's own key names the same Promotion however often it is sent
		cmd.ID = rand.Text()
		if cmd.RequestedAt == nil {
			now := time.Now().UTC()
			cmd.RequestedAt = &now
		}
	}
	p, err := promote.Build(r.Context(), a.Bus, &cmd)
	if err != nil {
		if promote.IsRejected(err) {
			writeError(w, http.StatusUnprocessableEntity, err)
			return
		}
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	if err := a.Bus.Publish(r.Context(), bus.CommandSubject(cmd.Project, "promote"), "promote/"+cmd.ID, &cmd); err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	if _, ok := p.Metadata.Annotations[v1.AnnotationWindowOverride]; ok {
		auditOverride(r, v1.OverridePromotionWindows)
		a.Log.Warn("promotion windows overridden", "project", cmd.Project, "stage", cmd.Stage, "actor", cmd.Actor,
			"windows", p.Metadata.Annotations[v1.AnnotationWindowOverrideReason])
	}
	a.Log.Info("promotion requested", "project", cmd.Project, "stage", cmd.Stage, "freight", cmd.Freight, "promotion", p.Metadata.Name)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(v1.PromoteResponse{Promotion: p.Metadata.Name, ID: cmd.ID})
}

// abort publishes an abort command for a Promotion that exists.
func (a *api) abort(w http.ResponseWriter, r *http.Request) {
	var cmd v1.AbortCommand
	if r.ContentLength > 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&cmd); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("decode abort request: %w", err))
			return
		}
	}
	cmd.Project, cmd.Promotion = r.PathValue("project"), r.PathValue("name")
	cmd.Actor = identity(r).Actor()
	p, err := store.Promotion(r.Context(), a.Bus, cmd.Project, cmd.Promotion)
	if err != nil {
		reply(w, nil, err)
		return
	}
	if p.Status.Finished() {
		writeError(w, http.StatusConflict, fmt.Errorf("promotion %s already ended %s", cmd.Promotion, p.Status.Phase))
		return
	}
	if err := a.Bus.Publish(r.Context(), bus.CommandSubject(cmd.Project, "abort"), "abort/"+cmd.Promotion, &cmd); err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	a.Log.Info("abort requested", "project", cmd.Project, "promotion", cmd.Promotion, "actor", cmd.Actor)
	w.WriteHeader(http.StatusAccepted)
}

// reply writes v as JSON, or err with the status it calls for.
func reply(w http.ResponseWriter, v any, err error) {
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrNotFound) {
			status = http.StatusNotFound
		}
		writeError(w, status, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	body := v1.ErrorResponse{Error: err.Error()}
	for _, e := range unwrapAll(err) {
		var fe *v1.FieldError
		if errors.As(e, &fe) {
			body.Problems = append(body.Problems, fe)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// unwrapAll flattens errors.Join trees.
func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	return []error{err}
}
