package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/store"
)

// deletable are the kinds of a project that DELETE removes from dray-resources as they are,
// by their plural in the path. Stages and Freight have handlers of their own; a Warehouse's
// Freight stays, as in Kargo, where Freight is not owned by its Warehouse.
var deletable = []struct{ kind, resource string }{
	{v1.KindWarehouse, access.ResourceWarehouses},
	{v1.KindPromotionTask, access.ResourcePromotionTasks},
	{v1.KindProjectConfig, access.ResourceProjectConfigs},
	{v1.KindEventRouter, access.ResourceEventRouters},
	{v1.KindMessageChannel, access.ResourceMessageChannels},
	{v1.KindConfigMap, access.ResourceConfigMaps},
	{v1.KindServiceAccount, access.ResourceServiceAccounts},
	{v1.KindRole, access.ResourceRoles},
	{v1.KindRoleBinding, access.ResourceRoleBindings},
}

// deleteRoutes registers DELETE for the kinds dray delete removes (docs/resources.md,
// "Deleting resources"); each needs the delete verb on its resource, and is audited as
// every change is.
func (a *api) deleteRoutes(mux router) {
	for _, k := range deletable {
		mux.HandleFunc("DELETE /api/v1/projects/{project}/"+k.resource+"/{name}", need(access.VerbDelete, k.resource), a.deleteResource(k.kind))
	}
	mux.HandleFunc("DELETE /api/v1/projects/{project}/stages/{name}", need(access.VerbDelete, access.ResourceStages), a.deleteStage)
	mux.HandleFunc("DELETE /api/v1/projects/{project}/freight/{name}", need(access.VerbDelete, access.ResourceFreight), a.deleteFreight)
	mux.HandleFunc("DELETE /api/v1/projects/{project}", need(access.VerbDelete, access.ResourceProjects), a.deleteProject)
	mux.HandleFunc("DELETE /api/v1/projects/{project}/secrets/{name}", need(access.VerbDelete, access.ResourceSecrets), a.deleteSecret)
	for _, k := range clusterDeletable {
		// No project in the path: only a system admin may (pkg/access).
		mux.HandleFunc("DELETE /api/v1/"+access.ResourceOf(k)+"/{name}", need(access.VerbDelete, access.ResourceOf(k)), a.deleteClusterResource(k))
	}
}

// clusterDeletable are the cluster-wide kinds dray apply takes besides Project, which DELETE
// removes from dray-resources by their plural under /api/v1/.
var clusterDeletable = []string{v1.KindClusterConfig, v1.KindClusterPromotionTask, v1.KindClusterMessageChannel, v1.KindCustomPromotionStep}

// deleteClusterResource deletes a cluster-wide resource of kind; one that does not exist is
// 404.
func (a *api) deleteClusterResource(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if _, err := a.removeResource(r, "", kind, name); err != nil {
			replyDelete(w, err)
			return
		}
		a.Log.Info("resource deleted", "kind", kind, "name", name, "actor", identity(r).Actor())
		w.WriteHeader(http.StatusNoContent)
	}
}

// deleteSecret deletes a project's Secret, purging its sealed values with their history;
// it needs no secrets key. One that does not exist is 404.
func (a *api) deleteSecret(w http.ResponseWriter, r *http.Request) {
	project, name := r.PathValue("project"), r.PathValue("name")
	key := bus.Key(project, name)
	if _, err := a.Bus.Secrets.Get(r.Context(), key); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			err = fmt.Errorf("secret %q %w in project %q", name, store.ErrNotFound, project)
		}
		reply(w, nil, err)
		return
	}
	if err := a.Bus.Secrets.Purge(r.Context(), key); err != nil {
		reply(w, nil, fmt.Errorf("delete secret %q: %w", name, err))
		return
	}
	a.Log.Info("secret deleted", "project", project, "name", name, "actor", identity(r).Actor())
	w.WriteHeader(http.StatusNoContent)
}

// deleteResource deletes a resource of kind from dray-resources; one that does not exist is
// 404.
func (a *api) deleteResource(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		project, name := r.PathValue("project"), r.PathValue("name")
		if _, err := a.removeResource(r, project, kind, name); err != nil {
			replyDelete(w, err)
			return
		}
		a.Log.Info("resource deleted", "kind", kind, "name", name, "project", project, "actor", identity(r).Actor())
		w.WriteHeader(http.StatusNoContent)
	}
}

// errChanged is what removeResource answers for a resource applied again while it was
// being deleted: 409, nothing deleted.
var errChanged = errors.New("changed")

// replyDelete writes err with the status it calls for (404, 409, else 500).
func replyDelete(w http.ResponseWriter, err error) {
	if errors.Is(err, errChanged) {
		writeError(w, http.StatusConflict, err)
		return
	}
	reply(w, nil, err)
}

// removeResource deletes a resource, compare-and-set on the revision it read, and returns
// that revision. A resource that does not exist wraps store.ErrNotFound.
func (a *api) removeResource(r *http.Request, project, kind, name string) (uint64, error) {
	key := bus.ResourceKey(project, kind, name)
	e, err := a.Bus.Resources.Get(r.Context(), key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, fmt.Errorf("%s %q %w in project %q", kind, name, store.ErrNotFound, project)
	}
	if err != nil {
		return 0, err
	}
	if err := a.Bus.Resources.Delete(r.Context(), key, jetstream.LastRevision(e.Revision())); err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return 0, fmt.Errorf("%s %q %w while it was being deleted: delete it again", kind, name, errChanged)
		}
		return 0, fmt.Errorf("delete %s %q: %w", kind, name, err)
	}
	return e.Revision(), nil
}

// deleteStage deletes a Stage's resource, then asks the state service to carry out the rest
// (removeStage).
func (a *api) deleteStage(w http.ResponseWriter, r *http.Request) {
	project, name := r.PathValue("project"), r.PathValue("name")
	if err := a.removeStage(r, project, name); err != nil {
		var unsent *errUnsent
		if errors.As(err, &unsent) {
			writeError(w, http.StatusServiceUnavailable, err)
			return
		}
		replyDelete(w, err)
		return
	}
	a.Log.Info("stage deleted", "project", project, "stage", name, "actor", identity(r).Actor())
	w.WriteHeader(http.StatusNoContent)
}

// errUnsent is a Stage deleted whose record did not reach the state service: 503, and the
// request can be repeated.
type errUnsent struct{ err error }

func (e *errUnsent) Error() string { return e.err.Error() }
func (e *errUnsent) Unwrap() error { return e.err }

// removeStage deletes a Stage's resource, then publishes a StageDelete record, on which the
// state service aborts and deletes its Promotions, forgets it in its Freight's status and
// drops its status (services/state/internal/deletion). A Stage whose resource is gone but
// whose status is still recorded (the record was not taken, say) is deleted again, so the
// request can be repeated. A Stage with neither wraps store.ErrNotFound.
func (a *api) removeStage(r *http.Request, project, name string) error {
	rev, err := a.removeResource(r, project, v1.KindStage, name)
	of := "r" // the record's ID names the revision deleted: of the resource, or of the status
	if errors.Is(err, store.ErrNotFound) {
		e, serr := a.Bus.Stages.Get(r.Context(), bus.Key(project, name))
		if serr != nil {
			return err
		}
		rev, err, of = e.Revision(), nil, "s"
	}
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	rec := v1.StageRecord{Op: v1.StageDelete, Project: project, Stage: name, Actor: identity(r).Actor(), At: &now}
	id := fmt.Sprintf("%s/%s/delete/%s%d", project, name, of, rev)
	if err := a.Bus.Publish(r.Context(), bus.StageRecordSubject(project), id, &rec); err != nil {
		return &errUnsent{fmt.Errorf("stage %q deleted, but its Promotions and status were not: delete it again: %w", name, err)}
	}
	return nil
}

// deleteFreight deletes a Freight by name or alias, unless a Stage holds it (409 naming the
// Stages, as Kargo refuses it).
func (a *api) deleteFreight(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	f, err := store.DeleteFreight(r.Context(), a.Bus, project, r.PathValue("name"))
	if errors.Is(err, store.ErrFreightInUse) {
		writeError(w, http.StatusConflict, err)
		return
	}
	if err != nil {
		reply(w, nil, err)
		return
	}
	a.Log.Info("freight deleted", "project", project, "freight", f.Metadata.Name, "alias", f.Alias, "actor", identity(r).Actor())
	w.WriteHeader(http.StatusNoContent)
}
