package warehouse_test

import (
	"context"
	"crypto/rand"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/services/warehouse"
)

// startWithSecrets runs the warehouse service with a secret store, as dray up does.
func startWithSecrets(t *testing.T, opts warehouse.Options) (*bus.Bus, *secret.Store) {
	t.Helper()
	b := bustest.Start(t).Connect(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	st, err := secret.NewStore(b.Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	d := service.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bus: b, Metrics: prometheus.NewRegistry(), Secrets: st}
	go func() { done <- warehouse.Run(ctx, opts, d) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil after its context ended", err)
		}
	})
	return b, st
}

// privateRegistry is go-containerregistry's registry behind basic auth.
func privateRegistry(t *testing.T, user, password string) string {
	t.Helper()
	h := registry.New(registry.Logger(stdlog.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestImageCredentials: a Warehouse of a private registry discovers with the image
// credentials of its project's Secret; one in a project without them fails with the
// registry's answer.
func TestImageCredentials(t *testing.T) {
	host := privateRegistry(t, "robot", "pa55")
	img, err := random.Image(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(host + "/team/app:1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: "robot", Password: "pa55"})); err != nil {
		t.Fatal(err)
	}
	b, secrets := startWithSecrets(t, warehouse.Options{})
	if _, err := secrets.Put(t.Context(), &v1.Secret{
		Metadata:   v1.ObjectMeta{Name: "registry", Namespace: project, Labels: map[string]string{v1.LabelCredType: secret.TypeImage}},
		StringData: map[string]string{"repoURL": host + "/team/app", "username": "robot", "password": "pa55"},
	}); err != nil {
		t.Fatal(err)
	}
	sub := v1.RepoSubscription{Image: &v1.ImageSubscription{RepoURL: host + "/team/app"}}
	apply(t, b, "private", v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{sub}})
	st := waitStatus(t, b, "private", "FreightCreated=True", hasCondition(warehouse.ConditionFreightCreated, "True", warehouse.ReasonCreated))
	if refs := st.DiscoveredArtifacts.Images[0].References; len(refs) != 1 || refs[0].Tag != "1.2.3" {
		t.Errorf("discovered %+v, want 1.2.3", refs)
	}

	if _, err := secrets.Put(t.Context(), &v1.Secret{
		Metadata:   v1.ObjectMeta{Name: "other", Namespace: project, Labels: map[string]string{v1.LabelCredType: secret.TypeImage}},
		StringData: map[string]string{"repoURL": host + "/team/other", "username": "robot", "password": "wrong"},
	}); err != nil {
		t.Fatal(err)
	}
	apply(t, b, "denied", v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{{Image: &v1.ImageSubscription{RepoURL: host + "/team/other"}}}})
	st = waitStatus(t, b, "denied", "Ready=False", hasCondition(warehouse.ConditionReady, "False", warehouse.ReasonDiscoveryError))
	if len(st.Errors) != 1 || !strings.Contains(st.Errors[0].Message, "401") || strings.Contains(st.Errors[0].Message, "wrong") {
		t.Errorf("errors = %+v, want the registry's 401 without the password", st.Errors)
	}
}

// TestGitCredentials: a Warehouse of a Git server that requires basic auth discovers with the
// git credentials of its project's Secret.
func TestGitCredentials(t *testing.T) {
	git := gittest.NewServer(t)
	url := git.Repo(t, "private", map[string]string{"a.yaml": "a: 1\n"})
	git.RequireBasicAuth("bot", "tok3n")
	b, secrets := startWithSecrets(t, warehouse.Options{})
	apply(t, b, "nocreds", v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{{Git: &v1.GitSubscription{RepoURL: url}}}})
	waitStatus(t, b, "nocreds", "Ready=False", hasCondition(warehouse.ConditionReady, "False", warehouse.ReasonDiscoveryError))
	if _, err := secrets.Put(t.Context(), &v1.Secret{
		Metadata:   v1.ObjectMeta{Name: "git", Namespace: v1.SharedProject, Labels: map[string]string{v1.LabelCredType: secret.TypeGit}},
		StringData: map[string]string{"repoURL": url, "username": "bot", "password": "tok3n"},
	}); err != nil {
		t.Fatal(err)
	}
	apply(t, b, "withcreds", v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{{Git: &v1.GitSubscription{RepoURL: url}}}})
	st := waitStatus(t, b, "withcreds", "FreightCreated=True", hasCondition(warehouse.ConditionFreightCreated, "True", warehouse.ReasonCreated))
	if got := st.DiscoveredArtifacts.Git[0].Commits; len(got) != 1 || got[0].ID != git.Head(t, "private", "main") {
		t.Errorf("discovered %+v, want the head of main", got)
	}
}
