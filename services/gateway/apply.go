package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/manifest"
	"github.com/drayhq/dray/pkg/store"
)

// maxApplyBytes bounds the body of one apply (docs/limits.md).
const maxApplyBytes = 8 << 20

// apply validates every resource in the request (a JSON array, or YAML or JSON documents),
// checks them as dray lint does and checks the resources they name, and only when all of that
// passes stores them: a refused batch changes nothing.
func (a *api) apply(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxApplyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("request body is larger than %d MiB, the limit of one apply: apply the manifests in several batches", maxApplyBytes>>20))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("read request: %w", err))
		return
	}
	docs, err := splitArray(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	var objs []manifest.Object
	var errs []error
	for i, doc := range docs {
		got, err := manifest.Decode(fmt.Sprintf("request document %d", i+1), doc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, got...)
	}
	if len(errs) > 0 {
		writeError(w, http.StatusUnprocessableEntity, errors.Join(errs...))
		return
	}
	for _, o := range objs {
		if !a.auth.authorize(w, identity(r), access.Request{Verb: access.VerbApply, Resource: access.ResourceOf(o.Kind), Project: o.Project, Name: o.Name}) {
			return
		}
	}
	if needsSecrets(objs) && a.Secrets == nil {
		writeError(w, http.StatusServiceUnavailable, errNoSecretsKey)
		return
	}
	if err := a.check(r.Context(), objs); err != nil {
		status := http.StatusUnprocessableEntity
		if !errors.As(err, new(*v1.FieldError)) {
			status = http.StatusServiceUnavailable
		}
		writeError(w, status, err)
		return
	}
	if !auditChange(w, r, soleProject(objs)) {
		return
	}
	var applied []v1.Applied
	for _, o := range objs {
		res, err := a.store(r.Context(), o, identity(r).Actor())
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, fmt.Errorf("store %s/%s: %w", o.Kind, o.Name, err))
			return
		}
		applied = append(applied, res)
	}
	reply(w, v1.ApplyResponse{Applied: applied}, nil)
}

// splitArray accepts a JSON array of resources, or anything else as one document.
func splitArray(body []byte) ([][]byte, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return [][]byte{body}, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, fmt.Errorf("decode resource list: %w", err)
	}
	out := make([][]byte, len(raw))
	for i := range raw {
		out[i] = raw[i]
	}
	return out, nil
}

func (a *api) store(ctx context.Context, o manifest.Object, actor string) (v1.Applied, error) {
	res := v1.Applied{Kind: o.Kind, Name: o.Name, Project: o.Project}
	switch r := o.Resource.(type) {
	case *v1.Freight:
		return a.storeFreight(ctx, o.Project, r)
	case *v1.Secret:
		return a.storeSecret(ctx, r)
	}
	project := o.Project
	if o.Kind == v1.KindProject {
		project = "" // a Project is cluster-wide: it names the tenant
	}
	key := bus.ResourceKey(project, o.Kind, o.Name)
	old, err := a.Bus.Resources.Get(ctx, key)
	created := time.Now().UTC()
	if err == nil {
		if t := creationOf(old.Value()); t != nil {
			created = *t // kept from the first apply, whatever the manifest says
		}
	}
	data, cerr := withCreation(o.JSON, created)
	if cerr != nil {
		return res, cerr
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		res.Result = "created"
	case err != nil:
		return res, err
	case bytes.Equal(old.Value(), data):
		res.Result = "unchanged"
		return res, nil
	default:
		res.Result = "configured"
	}
	if _, err := a.Bus.Resources.Put(ctx, key, data); err != nil {
		return res, err
	}
	a.Log.Info("resource applied", "kind", o.Kind, "name", o.Name, "project", o.Project, "result", res.Result, "actor", actor)
	return res, nil
}

// storeFreight records hand-made Freight: its name is derived from its artifacts, so applying
// the same Freight twice stores it once.
func (a *api) storeFreight(ctx context.Context, project string, f *v1.Freight) (v1.Applied, error) {
	created, err := store.CreateFreight(ctx, a.Bus, project, f)
	res := v1.Applied{Kind: v1.KindFreight, Name: f.Metadata.Name, Project: project, Result: "unchanged"}
	if created {
		res.Result = "created"
		a.Log.Info("freight created", "project", project, "freight", f.Metadata.Name, "alias", f.Alias)
	}
	return res, err
}

// soleProject is the project of every namespaced resource of objs, or empty when they name
// none or several: the audit record of the apply is filed under it.
func soleProject(objs []manifest.Object) string {
	project := ""
	for _, o := range objs {
		switch {
		case o.Project == "":
		case project == "":
			project = o.Project
		case o.Project != project:
			return ""
		}
	}
	return project
}

// creationOf reads metadata.creationTimestamp of a stored resource (nil when it has none).
func creationOf(doc []byte) *time.Time {
	var r struct {
		Metadata v1.ObjectMeta `json:"metadata"`
	}
	if json.Unmarshal(doc, &r) != nil {
		return nil
	}
	return r.Metadata.CreationTimestamp
}

// withCreation sets metadata.creationTimestamp of a resource's JSON to t: the time Dray
// first stored it, which lists sort by and dray get shows as AGE.
func withCreation(doc []byte, t time.Time) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(doc, &obj); err != nil {
		return nil, fmt.Errorf("set creationTimestamp: %w", err)
	}
	meta := map[string]json.RawMessage{}
	if m, ok := obj["metadata"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, fmt.Errorf("set creationTimestamp: %w", err)
		}
	}
	ts, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	meta["creationTimestamp"] = ts
	if obj["metadata"], err = json.Marshal(meta); err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}
