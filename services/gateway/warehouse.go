package gateway

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/store"
)

func (a *api) listWarehouses(w http.ResponseWriter, r *http.Request) {
	p, err := pageOf(r)
	if err != nil {
		replyPage(w, nil, "", 0, err)
		return
	}
	all, next, remaining, err := store.WarehousesPage(r.Context(), a.Bus, r.PathValue("project"), p)
	replyPage(w, all, next, remaining, err)
}

// listEventRouters lists a project's EventRouters, a page at a time.
func (a *api) listEventRouters(w http.ResponseWriter, r *http.Request) {
	p, err := pageOf(r)
	if err != nil {
		replyPage(w, nil, "", 0, err)
		return
	}
	all, next, remaining, err := store.ListPage[v1.EventRouter](r.Context(), a.Bus, a.Bus.Resources,
		bus.ResourceKey(r.PathValue("project"), v1.KindEventRouter, ""), p)
	replyPage(w, all, next, remaining, err)
}

func (a *api) getWarehouse(w http.ResponseWriter, r *http.Request) {
	wh, err := store.Warehouse(r.Context(), a.Bus, r.PathValue("project"), r.PathValue("name"))
	reply(w, wh, err)
}

// refresh publishes a refresh command for a Warehouse that exists and answers with the
// command, whose ID becomes the Warehouse's status.lastHandledRefresh once discovery ran.
func (a *api) refresh(w http.ResponseWriter, r *http.Request) {
	var cmd v1.RefreshCommand
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&cmd); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("decode refresh request: %w", err))
			return
		}
	}
	cmd.Project, cmd.Warehouse = r.PathValue("project"), r.PathValue("name")
	cmd.Actor = identity(r).Actor()
	if cmd.ID == "" {
		cmd.ID = rand.Text()
	}
	if _, err := store.Warehouse(r.Context(), a.Bus, cmd.Project, cmd.Warehouse); err != nil {
		reply(w, nil, err)
		return
	}
	id := "refresh/" + cmd.Project + "/" + cmd.Warehouse + "/" + cmd.ID
	if err := a.Bus.Publish(r.Context(), bus.CommandSubject(cmd.Project, "refresh"), id, &cmd); err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	a.Log.Info("refresh requested", "project", cmd.Project, "warehouse", cmd.Warehouse, "id", cmd.ID, "actor", cmd.Actor)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(&cmd)
}
