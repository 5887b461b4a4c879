package gateway

import (
	"context"
	"errors"
	"net/http"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/manifest"
	"github.com/drayhq/dray/pkg/secret"
)

// errNoSecretsKey is why a gateway started without a key refuses Secrets.
var errNoSecretsKey = errors.New("this gateway has no secrets key, so it cannot store Secrets: start it with --secrets-key-file or $DRAY_SECRETS_KEY_FILE (dray up creates one in its data directory)")

// needsSecrets reports whether storing objs needs the secret store.
func needsSecrets(objs []manifest.Object) bool {
	for _, o := range objs {
		if o.Kind == v1.KindSecret {
			return true
		}
	}
	return false
}

// storeSecret seals a Secret into the secret store; it never reaches dray-resources, logs or
// events in clear.
func (a *api) storeSecret(ctx context.Context, s *v1.Secret) (v1.Applied, error) {
	res := v1.Applied{Kind: v1.KindSecret, Name: s.Metadata.Name, Project: s.Metadata.Namespace}
	if a.Secrets == nil {
		return res, errNoSecretsKey
	}
	var err error
	if res.Result, err = a.Secrets.Put(ctx, s); err != nil {
		return res, err
	}
	a.Log.Info("secret applied", "name", s.Metadata.Name, "project", s.Metadata.Namespace, "result", res.Result)
	return res, nil
}

// listSecrets tells which Secrets a project has and the names of their values, never the
// values.
func (a *api) listSecrets(w http.ResponseWriter, r *http.Request) {
	if a.Secrets == nil {
		writeError(w, http.StatusServiceUnavailable, errNoSecretsKey)
		return
	}
	list, err := a.Secrets.List(r.Context(), r.PathValue("project"))
	if err != nil {
		reply(w, nil, err)
		return
	}
	out := make([]v1.SecretSummary, 0, len(list))
	for _, s := range list {
		out = append(out, secret.Summary(s))
	}
	listPage(w, r, out, func(s v1.SecretSummary) string { return s.Name })
}
