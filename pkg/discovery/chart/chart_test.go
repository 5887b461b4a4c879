package chart_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	helmregistry "helm.sh/helm/v3/pkg/registry"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	chartdisc "github.com/drayhq/dray/pkg/discovery/chart"
)

// index is a classic repository index with one chart, app, in every interesting version
// shape, and a second chart.
const index = `apiVersion: v1
entries:
  app:
  - {name: app, version: 1.0.0, urls: [app-1.0.0.tgz]}
  - {name: app, version: v1.0.0, urls: [app-v1.0.0.tgz]}
  - {name: app, version: 1.10.0, urls: [app-1.10.0.tgz]}
  - {name: app, version: 1.9.0, urls: [app-1.9.0.tgz]}
  - {name: app, version: "1.2", urls: [app-1.2.tgz]}
  - {name: app, version: 2.0.0-rc.1, urls: [app-2.0.0-rc.1.tgz]}
  - {name: app, version: not-a-version, urls: [app-x.tgz]}
  other:
  - {name: other, version: 9.9.9, urls: [other-9.9.9.tgz]}
`

// allApp is what every version of app gives, newest first.
var allApp = []string{"2.0.0-rc.1", "1.10.0", "1.9.0", "1.2", "v1.0.0", "1.0.0"}

// classicRepo serves index under /charts/index.yaml, asking for basic auth when user is set.
func classicRepo(t *testing.T, user, pass string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); user != "" && (!ok || u != user || p != pass) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/charts/index.yaml" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, index)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/charts"
}

// ociRepo pushes chart app in versions with Helm's registry client to an in-process registry,
// plus an image tagged latest (not a version), and returns oci://host/charts/app.
func ociRepo(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptWriter(io.Discard),
		helmregistry.ClientOptCredentialsFile(t.TempDir()+"/config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1.0.0", "v1.0.0", "1.10.0", "1.9.0", "2.0.0-rc.1", "1.9.1+build.7"} {
		ch := &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "app", Version: v}}
		path, err := chartutil.Save(ch, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Helm stores 1.9.1+build.7 under the tag 1.9.1_build.7.
		if _, err := client.Push(data, host+"/charts/app:"+v); err != nil {
			t.Fatalf("push chart %s: %v", v, err)
		}
	}
	img, err := random.Image(16, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/charts/app:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return "oci://" + host + "/charts/app"
}

func TestDiscover(t *testing.T) {
	classic := classicRepo(t, "", "")
	oci := ociRepo(t)
	tests := []struct {
		name string
		sub  v1.ChartSubscription
		want []string
	}{
		{name: "classic: all versions, lenient, ties by string", sub: v1.ChartSubscription{RepoURL: classic, Name: "app"}, want: allApp},
		{name: "classic: trailing slash", sub: v1.ChartSubscription{RepoURL: classic + "/", Name: "other"}, want: []string{"9.9.9"}},
		{name: "classic: constraint", sub: v1.ChartSubscription{RepoURL: classic, Name: "app", SemverConstraint: "^1.5"}, want: []string{"1.10.0", "1.9.0"}},
		{name: "classic: constraint with pre-release", sub: v1.ChartSubscription{RepoURL: classic, Name: "app", SemverConstraint: ">=2.0.0-0"}, want: []string{"2.0.0-rc.1"}},
		{name: "classic: limit", sub: v1.ChartSubscription{RepoURL: classic, Name: "app", DiscoveryLimit: 2}, want: allApp[:2]},
		{name: "classic: nothing matches", sub: v1.ChartSubscription{RepoURL: classic, Name: "app", SemverConstraint: ">5"}, want: []string{}},
		{
			name: "oci: tags as versions, latest dropped, underscore is plus",
			sub:  v1.ChartSubscription{RepoURL: oci},
			want: []string{"2.0.0-rc.1", "1.10.0", "1.9.1+build.7", "1.9.0", "v1.0.0", "1.0.0"},
		},
		{name: "oci: constraint and limit", sub: v1.ChartSubscription{RepoURL: oci, SemverConstraint: "~1.9", DiscoveryLimit: 1}, want: []string{"1.9.1+build.7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chartdisc.Discover(t.Context(), tt.sub, chartdisc.Options{})
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			want := v1.ChartDiscoveryResult{RepoURL: tt.sub.RepoURL, Name: tt.sub.Name, SemverConstraint: tt.sub.SemverConstraint, Versions: tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Discover (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiscoverBasicAuth(t *testing.T) {
	repo := classicRepo(t, "alice", "s3cret")
	sub := v1.ChartSubscription{RepoURL: repo, Name: "app", DiscoveryLimit: 1}
	got, err := chartdisc.Discover(t.Context(), sub, chartdisc.Options{Username: "alice", Password: "s3cret"})
	if err != nil {
		t.Fatalf("Discover with credentials: %v", err)
	}
	if diff := cmp.Diff(allApp[:1], got.Versions); diff != "" {
		t.Errorf("Discover with credentials (-want +got):\n%s", diff)
	}
	_, err = chartdisc.Discover(t.Context(), sub, chartdisc.Options{Username: "alice", Password: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "credentials") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("Discover with a wrong password = %v, want a 401 error that mentions credentials but not the password", err)
	}
}

func TestDiscoverErrors(t *testing.T) {
	classic := classicRepo(t, "", "")
	tests := []struct {
		name string
		sub  v1.ChartSubscription
		want string
	}{
		{name: "classic without name", sub: v1.ChartSubscription{RepoURL: classic}, want: "name is required"},
		{name: "oci with name", sub: v1.ChartSubscription{RepoURL: "oci://127.0.0.1:1/charts/app", Name: "app"}, want: "name must be empty"},
		{name: "bad constraint", sub: v1.ChartSubscription{RepoURL: classic, Name: "app", SemverConstraint: "^^1"}, want: `semverConstraint "^^1"`},
		{name: "unknown scheme", sub: v1.ChartSubscription{RepoURL: "ftp://x/charts", Name: "app"}, want: "oci://"},
		{name: "unknown chart", sub: v1.ChartSubscription{RepoURL: classic, Name: "nope"}, want: `chart "nope" is not in index.yaml`},
		{name: "no index", sub: v1.ChartSubscription{RepoURL: classic + "/sub", Name: "app"}, want: "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chartdisc.Discover(t.Context(), tt.sub, chartdisc.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.sub.RepoURL) {
				t.Errorf("Discover = %v, want an error naming %s and containing %q", err, tt.sub.RepoURL, tt.want)
			}
		})
	}
}
