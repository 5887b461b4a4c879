package ocidownload_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/httpstep"
	"github.com/drayhq/dray/pkg/steps/internal/ocitest"
	"github.com/drayhq/dray/pkg/steps/ocidownload"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

const (
	chartType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	provType  = "application/vnd.cncf.helm.chart.provenance.v1.prov"
)

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, ocidownload.Name, ocidownload.Config{})
}

type outcome struct {
	Status, Reason string
	Terminal       bool
}

func TestRun(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	chart := ocitest.Image(t,
		ocitest.Layer{MediaType: provType, Data: "provenance"},
		ocitest.Layer{MediaType: chartType, Data: "chart archive"},
	)
	digest := ocitest.Push(t, host+"/charts/app:1.0.0", chart)
	ocitest.Push(t, host+"/images/multi:v1", ocitest.Index(t, "linux/arm64", "linux/amd64"))
	ocitest.Push(t, host+"/images/empty:v1", ocitest.Image(t))
	big := ocitest.Image(t, ocitest.Layer{MediaType: types.OCILayer, Data: strings.Repeat("x", 200)})
	ocitest.Push(t, host+"/images/big:v1", big)

	tests := []struct {
		name      string
		cfg       map[string]any
		opts      ocidownload.Options
		files     map[string][]byte
		want      outcome
		wantMsg   string
		wantFiles map[string]string
	}{
		{
			name:      "layer chosen by media type, oci:// prefix, parents created",
			cfg:       map[string]any{"imageRef": "oci://" + host + "/charts/app:1.0.0", "outPath": "charts/app/app.tgz", "mediaType": chartType},
			want:      outcome{Status: "Succeeded"},
			wantFiles: map[string]string{"charts/app/app.tgz": "chart archive"},
		},
		{
			name:      "first layer by default, by digest",
			cfg:       map[string]any{"imageRef": host + "/charts/app@" + digest.String(), "outPath": "out"},
			want:      outcome{Status: "Succeeded"},
			wantFiles: map[string]string{"out": "provenance"},
		},
		{
			name:      "an index resolves to linux/amd64",
			cfg:       map[string]any{"imageRef": host + "/images/multi:v1", "outPath": "out"},
			want:      outcome{Status: "Succeeded"},
			wantFiles: map[string]string{"out": "layer of linux/amd64"},
		},
		{
			name:      "no layer of the media type",
			cfg:       map[string]any{"imageRef": host + "/charts/app:1.0.0", "outPath": "out", "mediaType": "text/plain"},
			want:      outcome{Status: "Failed", Reason: ocidownload.ReasonLayerNotFound, Terminal: true},
			wantMsg:   `no layer of media type "text/plain"`,
			wantFiles: map[string]string{},
		},
		{
			name:      "no layers",
			cfg:       map[string]any{"imageRef": host + "/images/empty:v1", "outPath": "out"},
			want:      outcome{Status: "Failed", Reason: ocidownload.ReasonLayerNotFound, Terminal: true},
			wantFiles: map[string]string{},
		},
		{
			name:      "layer over the limit",
			cfg:       map[string]any{"imageRef": host + "/images/big:v1", "outPath": "out"},
			opts:      ocidownload.Options{MaxBytes: 100},
			want:      outcome{Status: "Failed", Reason: ocidownload.ReasonLayerTooLarge, Terminal: true},
			wantMsg:   "the layer declares 200 bytes, more than the limit of 100",
			wantFiles: map[string]string{},
		},
		{
			name:      "layer at the limit",
			cfg:       map[string]any{"imageRef": host + "/images/big:v1", "outPath": "out"},
			opts:      ocidownload.Options{MaxBytes: 200},
			want:      outcome{Status: "Succeeded"},
			wantFiles: map[string]string{"out": strings.Repeat("x", 200)},
		},
		{
			name:      "existing file without allowOverwrite",
			cfg:       map[string]any{"imageRef": host + "/charts/app:1.0.0", "outPath": "out"},
			files:     map[string][]byte{"out": []byte("old")},
			want:      outcome{Status: "Failed", Reason: ocidownload.ReasonFileExists, Terminal: true},
			wantMsg:   "set allowOverwrite to replace it",
			wantFiles: map[string]string{"out": "old"},
		},
		{
			name:      "existing file with allowOverwrite",
			cfg:       map[string]any{"imageRef": host + "/charts/app:1.0.0", "outPath": "out", "allowOverwrite": true},
			files:     map[string][]byte{"out": []byte("old")},
			want:      outcome{Status: "Succeeded"},
			wantFiles: map[string]string{"out": "provenance"},
		},
		{
			name:      "a directory is never overwritten",
			cfg:       map[string]any{"imageRef": host + "/charts/app:1.0.0", "outPath": "dir", "allowOverwrite": true},
			files:     map[string][]byte{"dir/keep": []byte("keep")},
			want:      outcome{Status: "Failed", Reason: ocidownload.ReasonFileExists, Terminal: true},
			wantFiles: map[string]string{"dir/keep": "keep"},
		},
		{
			name:      "outPath climbing out",
			cfg:       map[string]any{"imageRef": host + "/charts/app:1.0.0", "outPath": "../out"},
			want:      outcome{Status: "Failed", Reason: "PathEscapes", Terminal: true},
			wantMsg:   "path escapes the workspace",
			wantFiles: map[string]string{},
		},
		{
			name:      "absolute outPath",
			cfg:       map[string]any{"imageRef": host + "/charts/app:1.0.0", "outPath": "/tmp/out"},
			want:      outcome{Status: "Failed", Reason: "PathEscapes", Terminal: true},
			wantMsg:   "path escapes the workspace",
			wantFiles: map[string]string{},
		},
		{
			name:      "bad reference",
			cfg:       map[string]any{"imageRef": "oci://Not A Ref", "outPath": "out"},
			want:      outcome{Status: "Failed", Reason: "InvalidConfig", Terminal: true},
			wantMsg:   "config.imageRef",
			wantFiles: map[string]string{},
		},
		{
			name:      "missing tag is retried",
			cfg:       map[string]any{"imageRef": host + "/charts/app:9.9.9", "outPath": "out"},
			want:      outcome{Status: "Errored"},
			wantMsg:   "fetch the manifest",
			wantFiles: map[string]string{},
		},
		{
			name:    "unknown field",
			cfg:     map[string]any{"imageRef": host + "/charts/app:1.0.0", "outPath": "out", "bogus": 1},
			want:    outcome{Status: "Failed", Reason: "InvalidConfig", Terminal: true},
			wantMsg: "config.bogus",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, tt.cfg, tt.files)
			res, err := steptest.Run(t, ocidownload.New(tt.opts), sc)
			o := steps.Classify(res, err)
			got := outcome{Status: o.Status, Reason: o.Reason, Terminal: steps.IsTerminal(err)}
			if got != tt.want {
				t.Errorf("Run(%v) = %+v (%v), want %+v", tt.cfg, got, err, tt.want)
			}
			if tt.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tt.wantMsg)) {
				t.Errorf("Run(%v) error = %v, want it to contain %q", tt.cfg, err, tt.wantMsg)
			}
			if tt.wantFiles == nil {
				return
			}
			want := map[string]string{}
			for k, v := range tt.wantFiles {
				want[k] = v
			}
			if diff := cmp.Diff(want, steptest.Snapshot(t, sc.WorkDir)); diff != "" {
				t.Errorf("workspace after Run(%v) mismatch (-want +got):\n%s", tt.cfg, diff)
			}
		})
	}
}

func TestPathEscapeThroughSymlink(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	ocitest.Push(t, host+"/charts/app:1.0.0", ocitest.Image(t, ocitest.Layer{MediaType: chartType, Data: "chart"}))
	outside := t.TempDir()
	sc := steptest.NewContext(t, map[string]any{"imageRef": host + "/charts/app:1.0.0", "outPath": "link/app.tgz"}, nil)
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "link")); err != nil {
		t.Fatal(err)
	}
	_, err := steptest.Run(t, ocidownload.New(ocidownload.Options{}), sc)
	if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
		t.Errorf("Run(outPath through a symlink to outside) = %v, want a terminal ErrPathEscape", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the workspace: %v", entries)
	}
}

func TestCredentials(t *testing.T) {
	host := ocitest.Registry(t, "bot", "s3cret")
	img := ocitest.Image(t, ocitest.Layer{MediaType: chartType, Data: "private chart"})
	auth := ocitest.Secrets(t, "kargo-demo",
		ocitest.Credential{Type: secret.TypeImage, RepoURL: host + "/charts/app", Username: "bot", Password: "s3cret"})
	pushOpts := remoteAuth(t, "bot", "s3cret")
	ocitest.Push(t, host+"/charts/app:1.0.0", img, pushOpts...)

	tests := []struct {
		name    string
		store   *secret.Store
		ref     string
		wantErr bool
	}{
		{"image credentials", auth, host + "/charts/app:1.0.0", false},
		{"oci:// wants Helm credentials, there are none", auth, "oci://" + host + "/charts/app:1.0.0", true},
		{"Helm credentials for oci://", ocitest.Secrets(t, "kargo-demo",
			ocitest.Credential{Type: secret.TypeHelm, RepoURL: "oci://" + host + "/charts/app", Username: "bot", Password: "s3cret"}),
			"oci://" + host + "/charts/app:1.0.0", false},
		{"no secret store: anonymous", nil, host + "/charts/app:1.0.0", true},
		{"wrong password", ocitest.Secrets(t, "kargo-demo",
			ocitest.Credential{Type: secret.TypeImage, RepoURL: host + "/charts/app", Username: "bot", Password: "wrong"}),
			host + "/charts/app:1.0.0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, map[string]any{"imageRef": tt.ref, "outPath": "app.tgz"}, nil)
			_, err := steptest.Run(t, ocidownload.New(ocidownload.Options{Secrets: tt.store}), sc)
			if tt.wantErr {
				if err == nil || steps.IsTerminal(err) {
					t.Errorf("Run(%s) = %v, want a retryable error", tt.ref, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run(%s) = %v, want nil", tt.ref, err)
			}
			if got := steptest.Snapshot(t, sc.WorkDir)["app.tgz"]; got != "private chart" {
				t.Errorf("app.tgz = %q, want %q", got, "private chart")
			}
		})
	}
}

// TestHostAllowlist: with the http executor's allowlist as its guard, the step reaches a
// registry the project's list names, and is refused, terminally, one it does not name — also
// when the registry redirects the blob download elsewhere, as registries do to their CDNs.
func TestHostAllowlist(t *testing.T) {
	backend := ocitest.Registry(t, "", "")
	ocitest.Push(t, backend+"/charts/app:1.0.0", ocitest.Image(t, ocitest.Layer{MediaType: chartType, Data: "chart"}))
	// The front answers like the registry but sends blob downloads to the backend, under
	// another host name.
	_, port, _ := strings.Cut(backend, ":")
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/blobs/") {
			http.Redirect(w, r, "http://localhost:"+port+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: backend})
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	frontHost := strings.TrimPrefix(front.URL, "http://")

	tests := []struct {
		name    string
		ref     string
		allowed []string
		refused string // the reason, or "" when the download succeeds
	}{
		{"the registry is allowed", backend + "/charts/app:1.0.0", []string{backend}, ""},
		{"the registry is not allowed", backend + "/charts/app:1.0.0", []string{"ghcr.io"}, httpstep.ReasonHostNotAllowed},
		{"the redirect is not allowed", frontHost + "/charts/app:1.0.0", []string{frontHost}, httpstep.ReasonHostNotAllowed},
		{"the redirect is allowed too", frontHost + "/charts/app:1.0.0", []string{frontHost, "localhost:" + port}, ""},
		// Without an allowlist every host is allowed, but not one on loopback.
		{"a registry on loopback without an allowlist", backend + "/charts/app:1.0.0", nil, httpstep.ReasonPrivateAddress},
		{"every host but no loopback", backend + "/charts/app:1.0.0", []string{"*"}, httpstep.ReasonPrivateAddress},
		{"a redirect to a name on loopback", frontHost + "/charts/app:1.0.0", []string{"*", frontHost}, httpstep.ReasonPrivateAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := httpstep.ClientOptions{AllowedHosts: map[string][]string{"kargo-demo": tt.allowed}}
			if tt.allowed == nil {
				client.AllowedHosts = nil
			}
			sc := steptest.NewContext(t, map[string]any{"imageRef": tt.ref, "outPath": "app.tgz"}, nil)
			_, err := steptest.Run(t, ocidownload.New(ocidownload.Options{Guard: client.Guard}), sc)
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("Run(%s) = %v, want nil", tt.ref, err)
				}
				if got := steptest.Snapshot(t, sc.WorkDir)["app.tgz"]; got != "chart" {
					t.Errorf("app.tgz = %q, want %q", got, "chart")
				}
				return
			}
			if !steps.IsTerminal(err) || !errors.Is(err, steps.Reasoned(tt.refused, nil)) {
				t.Fatalf("Run(%s) = %v, want a terminal %s error", tt.ref, err, tt.refused)
			}
			if _, ok := steptest.Snapshot(t, sc.WorkDir)["app.tgz"]; ok {
				t.Error("app.tgz was written though the download was refused")
			}
		})
	}
}
