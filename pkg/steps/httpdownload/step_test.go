package httpdownload_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/httpdownload"
	"github.com/drayhq/dray/pkg/steps/httpstep"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

const payload = "apiVersion: v1\nkind: ConfigMap\n"

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, payload)
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-secret" || r.URL.Query().Get("key") != "k v" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, payload)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
	})
	mux.HandleFunc("/declared/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(bytes.Repeat([]byte("x"), n))
	})
	mux.HandleFunc("/chunked/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		for range n / 100 {
			w.Write(bytes.Repeat([]byte("x"), 100))
			w.(http.Flusher).Flush() // no Content-Length: the size shows only while streaming
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Headers, then a body that never comes: the download's timeout must end it. The
		// handler waits for the test's end only, so that nothing but the timeout can end the
		// response early.
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-release
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv
}

// trusted returns Options that trust srv's certificate, with an allowlist naming srv's
// loopback address and port (and every public host).
func trusted(srv *httptest.Server) httpdownload.Options {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	allowed := map[string][]string{"kargo-demo": {"*", srv.Listener.Addr().String()}}
	return httpdownload.Options{ClientOptions: httpstep.ClientOptions{RootCAs: pool, AllowedHosts: allowed}}
}

func newContext(t *testing.T, cfg map[string]any) *steps.Context {
	t.Helper()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &steps.Context{
		Project: "kargo-demo", Stage: "prod", Promotion: "prod.01j", Alias: "fetch", Attempt: 1,
		Config: cfg, WorkDir: dir, Dir: root, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

type result struct {
	Status   string
	Reason   string
	Terminal bool
}

// files lists the workspace: path → contents ("<dir>" for directories, "-> target" for
// symlinks).
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			m[filepath.ToSlash(rel)] = "-> " + target
		case d.IsDir():
			m[filepath.ToSlash(rel)] = "<dir>"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRun(t *testing.T) {
	srv := newServer(t)
	outside := t.TempDir()
	u, _ := url.Parse(srv.URL)
	localhost := "https://localhost:" + u.Port()
	tests := []struct {
		name string
		cfg  map[string]any
		opts func(o *httpdownload.Options)
		// before prepares the workspace.
		before  func(t *testing.T, dir string)
		want    result
		wantMsg string
		// wantFiles is the workspace afterwards.
		wantFiles map[string]string
	}{
		{
			name:      "download to a new path, creating parents",
			cfg:       map[string]any{"url": srv.URL + "/file", "outPath": "./out/manifests/cm.yaml"},
			want:      result{Status: "Succeeded"},
			wantMsg:   fmt.Sprintf("downloaded %d bytes to ./out/manifests/cm.yaml", len(payload)),
			wantFiles: map[string]string{"out": "<dir>", "out/manifests": "<dir>", "out/manifests/cm.yaml": payload},
		},
		{
			name: "headers and query params are sent",
			cfg: map[string]any{"url": srv.URL + "/auth", "outPath": "cm.yaml",
				"headers":     []any{map[string]any{"name": "Authorization", "value": "Bearer tok-secret"}},
				"queryParams": []any{map[string]any{"name": "key", "value": "k v"}}},
			want:      result{Status: "Succeeded"},
			wantFiles: map[string]string{"cm.yaml": payload},
		},
		{
			name: "existing file without allowOverwrite",
			cfg:  map[string]any{"url": srv.URL + "/file", "outPath": "cm.yaml"},
			before: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "cm.yaml"), "old")
			},
			want:      result{Status: "Failed", Reason: "FileExists", Terminal: true},
			wantMsg:   "config.outPath exists; set allowOverwrite to replace it",
			wantFiles: map[string]string{"cm.yaml": "old"},
		},
		{
			name: "existing file with allowOverwrite",
			cfg:  map[string]any{"url": srv.URL + "/file", "outPath": "cm.yaml", "allowOverwrite": true},
			before: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "cm.yaml"), "old")
			},
			want:      result{Status: "Succeeded"},
			wantFiles: map[string]string{"cm.yaml": payload},
		},
		{
			name: "existing symlink with allowOverwrite is replaced, not followed",
			cfg:  map[string]any{"url": srv.URL + "/file", "outPath": "cm.yaml", "allowOverwrite": true},
			before: func(t *testing.T, dir string) {
				if err := os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, "cm.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			want:      result{Status: "Succeeded"},
			wantFiles: map[string]string{"cm.yaml": payload},
		},
		{
			name: "outPath is a directory",
			cfg:  map[string]any{"url": srv.URL + "/file", "outPath": "out", "allowOverwrite": true},
			before: func(t *testing.T, dir string) {
				os.Mkdir(filepath.Join(dir, "out"), 0o755)
			},
			want:      result{Status: "Failed", Reason: "FileExists", Terminal: true},
			wantMsg:   "config.outPath is a directory",
			wantFiles: map[string]string{"out": "<dir>"},
		},
		{
			name:      "outPath escaping the workspace",
			cfg:       map[string]any{"url": srv.URL + "/file", "outPath": "../escaped.yaml"},
			want:      result{Status: "Failed", Reason: "PathEscapes", Terminal: true},
			wantMsg:   `config.outPath: path escapes the workspace: "../escaped.yaml"`,
			wantFiles: map[string]string{},
		},
		{
			name:      "absolute outPath",
			cfg:       map[string]any{"url": srv.URL + "/file", "outPath": filepath.Join(outside, "abs.yaml")},
			want:      result{Status: "Failed", Reason: "PathEscapes", Terminal: true},
			wantFiles: map[string]string{},
		},
		{
			name: "outPath through a symlink leading outside",
			cfg:  map[string]any{"url": srv.URL + "/file", "outPath": "link/cm.yaml"},
			before: func(t *testing.T, dir string) {
				if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
					t.Fatal(err)
				}
			},
			want:      result{Status: "Failed", Reason: "PathEscapes", Terminal: true},
			wantMsg:   "config.outPath: path escapes the workspace",
			wantFiles: map[string]string{"link": "-> " + outside},
		},
		{
			name:      "non-2xx: failed, retried per errorThreshold",
			cfg:       map[string]any{"url": srv.URL + "/status/404", "outPath": "cm.yaml"},
			want:      result{Status: "Failed"},
			wantMsg:   "HTTP (404) response is not 2xx",
			wantFiles: map[string]string{},
		},
		{
			name:      "missing credentials: 401",
			cfg:       map[string]any{"url": srv.URL + "/auth", "outPath": "cm.yaml"},
			want:      result{Status: "Failed"},
			wantMsg:   "HTTP (401)",
			wantFiles: map[string]string{},
		},
		{
			name:      "declared size over the limit: terminal",
			cfg:       map[string]any{"url": srv.URL + "/declared/2000", "outPath": "big"},
			opts:      func(o *httpdownload.Options) { o.MaxBytes = 1000 },
			want:      result{Status: "Failed", Reason: "ResponseTooLarge", Terminal: true},
			wantMsg:   "the response declares 2000 bytes, more than the limit of 1000 bytes",
			wantFiles: map[string]string{},
		},
		{
			name:      "streamed size over the limit: errored, nothing left behind",
			cfg:       map[string]any{"url": srv.URL + "/chunked/2000", "outPath": "dl/big"},
			opts:      func(o *httpdownload.Options) { o.MaxBytes = 1000 },
			want:      result{Status: "Errored", Reason: "ResponseTooLarge"},
			wantMsg:   "response body too large: more than the limit of 1000 bytes",
			wantFiles: map[string]string{"dl": "<dir>"},
		},
		{
			name:      "streamed size at the limit",
			cfg:       map[string]any{"url": srv.URL + "/chunked/1000", "outPath": "big"},
			opts:      func(o *httpdownload.Options) { o.MaxBytes = 1000 },
			want:      result{Status: "Succeeded"},
			wantFiles: map[string]string{"big": strings.Repeat("x", 1000)},
		},
		{
			name:      "timeout",
			cfg:       map[string]any{"url": srv.URL + "/slow", "outPath": "cm.yaml", "timeout": "50ms"},
			want:      result{Status: "Errored", Reason: "Timeout"},
			wantFiles: map[string]string{},
		},
		{
			name:      "untrusted certificate",
			cfg:       map[string]any{"url": srv.URL + "/file", "outPath": "cm.yaml"},
			opts:      func(o *httpdownload.Options) { o.RootCAs = nil },
			want:      result{Status: "Errored", Reason: "TLSVerifyFailed"},
			wantFiles: map[string]string{},
		},
		{
			name:      "untrusted certificate, insecureSkipTLSVerify",
			cfg:       map[string]any{"url": srv.URL + "/file", "outPath": "cm.yaml", "insecureSkipTLSVerify": true},
			opts:      func(o *httpdownload.Options) { o.RootCAs = nil },
			want:      result{Status: "Succeeded"},
			wantFiles: map[string]string{"cm.yaml": payload},
		},
		{
			name:      "redirect to a host outside the allowlist",
			cfg:       map[string]any{"url": srv.URL + "/redirect?to=" + url.QueryEscape(localhost+"/file"), "outPath": "cm.yaml"},
			opts:      func(o *httpdownload.Options) { o.AllowedHosts = map[string][]string{"kargo-demo": {"127.0.0.1"}} },
			want:      result{Status: "Failed", Reason: "HostNotAllowed", Terminal: true},
			wantMsg:   "redirect: host is not in the project's allowlist: localhost",
			wantFiles: map[string]string{},
		},
		{
			name:      "bad timeout",
			cfg:       map[string]any{"url": srv.URL + "/file", "outPath": "cm.yaml", "timeout": "5 minutes"},
			want:      result{Status: "Failed", Reason: "InvalidConfig", Terminal: true},
			wantMsg:   `config.timeout: "5 minutes" is not a positive duration`,
			wantFiles: map[string]string{},
		},
		{
			name:      "missing outPath",
			cfg:       map[string]any{"url": srv.URL + "/file"},
			want:      result{Status: "Failed", Reason: "InvalidConfig", Terminal: true},
			wantMsg:   "outPath",
			wantFiles: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := trusted(srv)
			if tt.opts != nil {
				tt.opts(&o)
			}
			sc := newContext(t, tt.cfg)
			if tt.before != nil {
				tt.before(t, sc.WorkDir)
			}
			res, err := httpdownload.New(o).Run(t.Context(), sc)
			out := steps.Classify(res, err)
			got := result{Status: out.Status, Reason: out.Reason, Terminal: out.Terminal}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run() mismatch (-want +got):\n%s\nmessage: %s", diff, out.Message)
			}
			if !strings.Contains(out.Message, tt.wantMsg) {
				t.Errorf("Run() message = %q, want it to contain %q", out.Message, tt.wantMsg)
			}
			if strings.Contains(out.Message, "tok-secret") {
				t.Errorf("Run() message = %q, holds a header value", out.Message)
			}
			if diff := cmp.Diff(tt.wantFiles, files(t, sc.WorkDir)); diff != "" {
				t.Errorf("workspace after Run() mismatch (-want +got):\n%s", diff)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("Run() wrote %d entries outside the workspace", len(entries))
			}
		})
	}
}

// TestRunTwice: a redelivered job finds its own file and fails without allowOverwrite, and
// replaces it with it.
func TestRunTwice(t *testing.T) {
	srv := newServer(t)
	for _, overwrite := range []bool{false, true} {
		t.Run("allowOverwrite="+strconv.FormatBool(overwrite), func(t *testing.T) {
			sc := newContext(t, map[string]any{"url": srv.URL + "/file", "outPath": "cm.yaml", "allowOverwrite": overwrite})
			step := httpdownload.New(trusted(srv))
			var statuses []string
			for range 2 {
				res, err := step.Run(t.Context(), sc)
				statuses = append(statuses, steps.Classify(res, err).Status)
			}
			want := []string{"Succeeded", "Failed"}
			if overwrite {
				want = []string{"Succeeded", "Succeeded"}
			}
			if diff := cmp.Diff(want, statuses); diff != "" {
				t.Errorf("statuses of two runs mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"cm.yaml": payload}, files(t, sc.WorkDir)); diff != "" {
				t.Errorf("workspace mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel() // the step is waiting for this response now
		<-r.Context().Done()
	}))
	defer srv.Close()
	sc := newContext(t, map[string]any{"url": srv.URL + "/x", "outPath": "cm.yaml"})
	_, err := httpdownload.New(trusted(srv)).Run(ctx, sc)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want %v", err, context.Canceled)
	}
	if diff := cmp.Diff(map[string]string{}, files(t, sc.WorkDir)); diff != "" {
		t.Errorf("workspace mismatch (-want +got):\n%s", diff)
	}
}

func TestInfo(t *testing.T) {
	got := httpdownload.New(httpdownload.Options{}).Info()
	want := steps.Info{Name: "http-download", Executor: "http"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Info() mismatch (-want +got):\n%s", diff)
	}
	if e, _ := steps.ExecutorFor(got.Name); e != got.Executor {
		t.Errorf("ExecutorFor(%q) = %q, want %q", got.Name, e, got.Executor)
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, httpdownload.Name, httpdownload.Config{})
}
