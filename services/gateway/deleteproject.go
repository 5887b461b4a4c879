package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/token"
)

// deleteProject deletes a Project with everything in it, as deleting a Kargo Project deletes
// its namespace (docs/resources.md, "Deleting resources"): the Project, then each Stage as
// dray delete stage does (its Promotions, a running one aborted, their workspaces and its
// status go, through the state service), every other resource of the project (a Warehouse's
// discovery status goes with it), its Freight, Secrets and tokens. Its audit records stay:
// the trail outlives the project. A project with nothing left is 404; one partly deleted
// (a request cut short) is deleted again.
func (a *api) deleteProject(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	_, perr := a.removeResource(r, "", v1.KindProject, project)
	if perr != nil && !errors.Is(perr, store.ErrNotFound) {
		replyDelete(w, perr)
		return
	}
	n, err := a.removeProjectContents(r, project)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("project %q is partly deleted: delete it again: %w", project, err))
		return
	}
	if perr != nil && n == 0 {
		writeError(w, http.StatusNotFound, fmt.Errorf("project %q %w", project, store.ErrNotFound))
		return
	}
	a.Log.Info("project deleted", "project", project, "removed", n, "actor", identity(r).Actor())
	w.WriteHeader(http.StatusNoContent)
}

// removeProjectContents deletes what a project holds and returns how many things it found.
// The Stages go first, so nothing starts there while the rest is deleted; Freight goes after
// the Warehouses, which stop discovering when their resource goes.
func (a *api) removeProjectContents(r *http.Request, project string) (int, error) {
	ctx := r.Context()
	n := 0
	resources, err := keysOf(ctx, a.Bus.Resources, project+".>")
	if err != nil {
		return n, fmt.Errorf("list resources: %w", err)
	}
	statuses, err := keysOf(ctx, a.Bus.Stages, bus.Key(project, "*"))
	if err != nil {
		return n, fmt.Errorf("list stage statuses: %w", err)
	}
	stages := map[string]bool{}
	stagePrefix := bus.ResourceKey(project, v1.KindStage, "")
	for _, k := range resources {
		if name, ok := strings.CutPrefix(k, stagePrefix); ok {
			stages[name] = true
		}
	}
	for _, k := range statuses {
		stages[strings.TrimPrefix(k, project+".")] = true
	}
	for name := range stages {
		if err := a.removeStage(r, project, name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, err
		}
		n++
	}
	for _, k := range resources {
		if strings.HasPrefix(k, stagePrefix) {
			continue
		}
		if err := a.Bus.Resources.Delete(ctx, k); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return n, fmt.Errorf("delete %s: %w", k, err)
		}
		n++
	}
	// Freight, its aliases (store.aliasKey) and Secrets are purged: nothing of them is kept.
	for _, kv := range []struct {
		what, filter string
		kv           jetstream.KeyValue
	}{
		{"freight", bus.Key(project, "*"), a.Bus.Freight},
		{"freight aliases", "_alias." + bus.Key(project, "*"), a.Bus.Freight},

		{"secrets", bus.Key(project, "*"), a.Bus.Secrets},
	} {
		keys, err := keysOf(ctx, kv.kv, kv.filter)
		if err != nil {
			return n, fmt.Errorf("list %s: %w", kv.what, err)
		}
		for _, k := range keys {
			if err := kv.kv.Purge(ctx, k); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return n, fmt.Errorf("delete %s %s: %w", kv.what, k, err)
			}
			n++
		}
	}
	tokens, err := a.auth.store.List(ctx, project)
	if err != nil {
		return n, fmt.Errorf("list tokens: %w", err)
	}
	for _, t := range tokens {
		if err := a.auth.store.Revoke(ctx, project, t.Name); err != nil && !errors.Is(err, token.ErrNotFound) {
			return n, fmt.Errorf("revoke token %q: %w", t.Name, err)
		}
		n++
	}
	return n, nil
}

// keysOf lists the keys of kv that match filter; none is not an error.
func keysOf(ctx context.Context, kv jetstream.KeyValue, filter string) ([]string, error) {
	l, err := kv.ListKeysFiltered(ctx, filter)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for k := range l.Keys() {
		out = append(out, k)
	}
	return out, nil
}
