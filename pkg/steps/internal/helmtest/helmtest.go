// Package helmtest serves real Helm chart repositories to tests: a classic repository (an
// index.yaml and packaged charts over httptest) and an OCI registry (go-containerregistry's
// in-process registry, charts pushed with Helm's registry client).
package helmtest

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	helmregistry "helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
)

// Chart returns a packageable chart name at version whose one template is a ConfigMap
// holding the version.
func Chart(name, version string) *chart.Chart {
	return &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version},
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte(
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-" + name + "\ndata:\n  version: " + version + "\n")}},
	}
}

// Package saves ch as a .tgz and returns its bytes.
func Package(t testing.TB, ch *chart.Chart) []byte {
	t.Helper()
	p, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Repo is a classic chart repository served over HTTP.
type Repo struct {
	// URL is the repository's URL, e.g. http://127.0.0.1:1234/charts.
	URL string
	// Requests counts the requests served.
	Requests atomic.Int64
	auth     atomic.Pointer[[2]string]
}

// RequireBasicAuth makes every later request need HTTP basic auth with user and password;
// others get 401.
func (r *Repo) RequireBasicAuth(user, password string) { r.auth.Store(&[2]string{user, password}) }

// NewRepo serves charts, packaged, with their index.yaml under /charts, until the test ends.
func NewRepo(t testing.TB, charts ...*chart.Chart) *Repo {
	t.Helper()
	dir := t.TempDir()
	for _, ch := range charts {
		if _, err := chartutil.Save(ch, dir); err != nil {
			t.Fatal(err)
		}
	}
	r := &Repo{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.Requests.Add(1)
		if !authorized(req, r.auth.Load()) {
			w.Header().Set("WWW-Authenticate", `Basic realm="helmtest"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.StripPrefix("/charts", http.FileServer(http.Dir(dir))).ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/charts"
	idx, err := repo.IndexDirectory(dir, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	idx.SortEntries()
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// NewRegistry starts an in-process OCI registry, pushes charts to <host>/charts/<name>:<version>
// with Helm's registry client, and returns "oci://<host>/charts". The registry speaks plain
// HTTP.
func NewRegistry(t testing.TB, charts ...*chart.Chart) string {
	t.Helper()
	return NewPrivateRegistry(t, "", "", charts...)
}

// NewPrivateRegistry is NewRegistry whose registry, once the charts are pushed, answers only
// requests with HTTP basic auth as user and password (none when user is empty).
func NewPrivateRegistry(t testing.TB, user, password string, charts ...*chart.Chart) string {
	t.Helper()
	var auth atomic.Pointer[[2]string]
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !authorized(req, auth.Load()) {
			w.Header().Set("WWW-Authenticate", `Basic realm="helmtest"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptWriter(io.Discard),
		helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range charts {
		ref := host + "/charts/" + ch.Name() + ":" + ch.Metadata.Version
		if _, err := client.Push(Package(t, ch), ref); err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
	}
	if user != "" {
		auth.Store(&[2]string{user, password})
	}
	return "oci://" + host + "/charts"
}

// authorized reports whether req carries the basic auth want asks for (nil: anything goes).
func authorized(req *http.Request, want *[2]string) bool {
	if want == nil {
		return true
	}
	u, p, ok := req.BasicAuth()
	return ok && u == want[0] && p == want[1]
}

// ChartYAML returns the Chart.yaml of an umbrella chart depending on deps, one
// "name version repository" string each.
func ChartYAML(deps ...string) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n")
	for _, d := range deps {
		f := strings.Fields(d)
		b.WriteString("- name: " + f[0] + "\n  version: " + f[1] + "\n  repository: " + f[2] + "\n")
	}
	return b.Bytes()
}
