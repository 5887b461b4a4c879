package gateway

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/store"
)

// approve checks an approval of a Freight (by name or alias) for a Stage and publishes the
// approve command; the state service records who approved, when and why.
func (a *api) approve(w http.ResponseWriter, r *http.Request) {
	var cmd v1.ApproveCommand
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&cmd); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode approve request: %w", err))
		return
	}
	cmd.Project, cmd.Freight = r.PathValue("project"), r.PathValue("name")
	if !checkBodyNames(w, bodyName{"stage", cmd.Stage}) || !a.authorizeName(w, r, access.VerbApprove, access.ResourceStages, cmd.Stage) {
		return
	}
	cmd.Actor = identity(r).Actor() // who proved it, never what the body says
	f, err := store.Freight(r.Context(), a.Bus, cmd.Project, cmd.Freight)
	if err == nil {
		var st *v1.Stage
		if st, err = store.Stage(r.Context(), a.Bus, cmd.Project, cmd.Stage); err == nil {
			if why := pipeline.Approvable(st, f); why != nil {
				writeError(w, http.StatusUnprocessableEntity, why)
				return
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	cmd.Freight = f.Metadata.Name
	id := cmd.Project + "/" + cmd.Freight + "/approve/" + cmd.Stage
	if err := a.Bus.Publish(r.Context(), bus.CommandSubject(cmd.Project, "approve"), id, &cmd); err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	a.Log.Info("approval requested", "project", cmd.Project, "freight", cmd.Freight, "stage", cmd.Stage, "actor", cmd.Actor)
	w.WriteHeader(http.StatusAccepted)
}

// reject checks a rejection of a Freight (by name or alias), for one Stage or every Stage, or
// its undo, and publishes the reject command (docs/resources.md#freight-rejection); the state
// service records who rejected it, when and why. An unknown Freight or Stage is 404, naming
// it.
func (a *api) reject(w http.ResponseWriter, r *http.Request) {
	var cmd v1.RejectCommand
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&cmd); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("decode reject request: %w", err))
			return
		}
	}
	cmd.Project, cmd.Freight = r.PathValue("project"), r.PathValue("name")
	if cmd.Stage != "" && !checkBodyNames(w, bodyName{"stage", cmd.Stage}) {
		return
	}
	cmd.Actor = identity(r).Actor() // who proved it, never what the body says
	f, err := store.Freight(r.Context(), a.Bus, cmd.Project, cmd.Freight)
	if err == nil && cmd.Stage != "" {
		_, err = store.Stage(r.Context(), a.Bus, cmd.Project, cmd.Stage)
	}
	if err != nil {
		reply(w, nil, err)
		return
	}
	cmd.Freight = f.Metadata.Name
	op := "reject"
	if cmd.Undo {
		op = "unreject"
	}
	if err := a.Bus.Publish(r.Context(), bus.CommandSubject(cmd.Project, "reject"), op+"/"+rand.Text(), &cmd); err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	a.Log.Info("freight "+op+" requested", "project", cmd.Project, "freight", cmd.Freight, "stage", cmd.Stage, "actor", cmd.Actor)
	w.WriteHeader(http.StatusAccepted)
}

// verify asks for a re-run of a Stage's verification of its current Freight.
func (a *api) verify(w http.ResponseWriter, r *http.Request) {
	var cmd v1.VerifyCommand
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&cmd); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("decode verify request: %w", err))
			return
		}
	}
	cmd.Project, cmd.Stage = r.PathValue("project"), r.PathValue("name")
	cmd.Actor = identity(r).Actor()
	st, err := store.Stage(r.Context(), a.Bus, cmd.Project, cmd.Stage)
	if err != nil {
		reply(w, nil, err)
		return
	}
	if !promote.HasVerificationSteps(st) {
		writeError(w, http.StatusUnprocessableEntity, fmt.Errorf("Stage %q has no spec.verification.steps to run", cmd.Stage))
		return
	}
	if cmd.ID == "" {
		cmd.ID = rand.Text()
	}
	if err := a.Bus.Publish(r.Context(), bus.CommandSubject(cmd.Project, "verify"), "verify/"+cmd.ID, &cmd); err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// pause and resume publish the command that pauses or resumes a Stage.
func (a *api) pause(w http.ResponseWriter, r *http.Request) { a.stageCommand(w, r, "pause") }

func (a *api) resume(w http.ResponseWriter, r *http.Request) { a.stageCommand(w, r, "resume") }

func (a *api) stageCommand(w http.ResponseWriter, r *http.Request, verb string) {
	var cmd v1.StageCommand
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&cmd); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("decode %s request: %w", verb, err))
			return
		}
	}
	cmd.Project, cmd.Stage = r.PathValue("project"), r.PathValue("name")
	cmd.Actor = identity(r).Actor()
	if _, err := store.Stage(r.Context(), a.Bus, cmd.Project, cmd.Stage); err != nil {
		reply(w, nil, err)
		return
	}
	if err := a.Bus.Publish(r.Context(), bus.CommandSubject(cmd.Project, verb), verb+"/"+rand.Text(), &cmd); err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	a.Log.Info("stage "+verb+" requested", "project", cmd.Project, "stage", cmd.Stage, "actor", cmd.Actor)
	w.WriteHeader(http.StatusAccepted)
}

// setAlias gives a Freight (by name or alias) a new alias.
func (a *api) setAlias(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Alias string `json:"alias"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || body.Alias == "" {
		writeError(w, http.StatusBadRequest, fmt.Errorf("want {\"alias\": \"new-alias\"}: %v", err))
		return
	}
	if !checkBodyNames(w, bodyName{"alias", body.Alias}) {
		return
	}
	project, name := r.PathValue("project"), r.PathValue("name")
	old, err := store.SetAlias(r.Context(), a.Bus, project, name, body.Alias)
	switch {
	case errors.Is(err, store.ErrAliasTaken):
		writeError(w, http.StatusConflict, err)
		return
	case err != nil:
		reply(w, nil, err)
		return
	}
	a.Log.Info("freight alias set", "project", project, "freight", name, "old", old, "alias", body.Alias)
	f, err := store.Freight(r.Context(), a.Bus, project, body.Alias)
	reply(w, f, err)
}
