package httpstep_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/httpstep"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

// server is an httptest TLS server with the routes the tests call.
type server struct {
	*httptest.Server
	polls atomic.Int64
	// release unblocks /slow when the test ends.
	release chan struct{}
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Custom", "v1")
		fmt.Fprint(w, `{"state":"done","id":42,"items":[{"name":"a"},{"name":"b"}]}`)
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "hello")
	})
	mux.HandleFunc("/yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		fmt.Fprint(w, "state: done\ncount: 3\n")
	})
	mux.HandleFunc("/untyped-json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		fmt.Fprint(w, `{"state":"done"}`)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<p>hi</p>")
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"code":%d,"reason":"server says %d"}`, code, code)
	})
	mux.HandleFunc("/poll", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if s.polls.Add(1) < 3 {
			fmt.Fprint(w, `{"state":"pending"}`)
			return
		}
		fmt.Fprint(w, `{"state":"done","version":"v2"}`)
	})
	mux.HandleFunc("/big/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		w.Header().Set("Content-Type", "text/plain")
		w.Write(bytes.Repeat([]byte("x"), n))
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Headers, then a body that never comes; only the step's timeout can end it.
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-s.release
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "headers": r.Header, "query": r.URL.RawQuery, "body": string(body),
		})
	})
	s.Server = httptest.NewUnstartedServer(mux)
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the TLS tests make handshakes fail
	s.StartTLS()
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

// trusted returns Options that trust the server's certificate, with an allowlist that
// names the server's loopback address and port (and every public host).
func (s *server) trusted() httpstep.Options {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return httpstep.Options{ClientOptions: httpstep.ClientOptions{RootCAs: pool, AllowedHosts: allowing(s.URL)}}
}

// allowing is an allowlist for project kargo-demo that names every public host and the
// host:port of each of urls: the explicit entry a loopback test server needs.
func allowing(urls ...string) map[string][]string {
	entries := []string{"*"}
	for _, raw := range urls {
		u, _ := url.Parse(raw)
		entries = append(entries, u.Host)
	}
	return map[string][]string{"kargo-demo": entries}
}

// localhostURL is the server's URL with the host name localhost instead of 127.0.0.1: a
// different host for the allowlist.
func (s *server) localhostURL() string {
	u, _ := url.Parse(s.URL)
	return "https://localhost:" + u.Port()
}

func newContext(t *testing.T, cfg map[string]any, log io.Writer) *steps.Context {
	t.Helper()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	if log == nil {
		log = io.Discard
	}
	return &steps.Context{
		Project: "kargo-demo", Stage: "prod", Promotion: "prod.01j", Alias: "call", Attempt: 1,
		Config: cfg, WorkDir: dir, Dir: root,
		Log: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// result is what a test compares: the classified outcome and the outputs.
type result struct {
	Status     string
	Reason     string
	Terminal   bool
	RetryAfter time.Duration
	Outputs    map[string]any
}

func run(t *testing.T, step *httpstep.Step, sc *steps.Context) (result, string) {
	t.Helper()
	res, err := step.Run(t.Context(), sc)
	o := steps.Classify(res, err)
	return result{Status: o.Status, Reason: o.Reason, Terminal: o.Terminal, RetryAfter: o.RetryAfter, Outputs: res.Outputs}, o.Message
}

func TestRun(t *testing.T) {
	srv := newServer(t)
	type opts func(o *httpstep.Options)
	tests := []struct {
		name string
		cfg  map[string]any
		// opts changes the Options, which trust the server's certificate.
		opts    opts
		want    result
		wantMsg string
	}{
		{
			name: "success expression true, outputs from expressions",
			cfg: map[string]any{
				"url":               srv.URL + "/json",
				"successExpression": "response.status == 200 && response.body.state == 'done'",
				"outputs": []any{
					map[string]any{"name": "id", "fromExpression": "response.body.id"},
					map[string]any{"name": "names", "fromExpression": "map(response.body.items, .name)"},
					map[string]any{"name": "custom", "fromExpression": "response.header('x-custom')"},
					map[string]any{"name": "type", "fromExpression": "response.headers['Content-Type'][0]"},
				},
			},
			want: result{Status: "Succeeded", Outputs: map[string]any{
				"id": 42.0, "names": []any{"a", "b"}, "custom": "v1", "type": "application/json; charset=utf-8",
			}},
			wantMsg: "HTTP (200) response met success criteria",
		},
		{
			name: "failure expression true, with error expression",
			cfg: map[string]any{
				"url":               srv.URL + "/status/503",
				"successExpression": "response.status == 200",
				"failureExpression": "response.status >= 500",
				"errorExpression":   "response.body.reason",
				"outputs":           []any{map[string]any{"name": "code", "fromExpression": "response.body.code"}},
			},
			want:    result{Status: "Failed", Reason: "FailureCriteriaMet", Terminal: true},
			wantMsg: `HTTP (503) response met failure criteria: "server says 503"`,
		},
		{
			name: "failure expression is checked before success expression",
			cfg: map[string]any{
				"url":               srv.URL + "/json",
				"successExpression": "true",
				"failureExpression": "response.body.id == 42",
			},
			want:    result{Status: "Failed", Reason: "FailureCriteriaMet", Terminal: true},
			wantMsg: "HTTP (200) response met failure criteria",
		},
		{
			name: "neither expression true: running, polled after pollInterval",
			cfg: map[string]any{
				"url":               srv.URL + "/json",
				"successExpression": "response.body.state == 'ready'",
				"failureExpression": "response.body.state == 'failed'",
				"pollInterval":      "45s",
			},
			want:    result{Status: "Running", RetryAfter: 45 * time.Second},
			wantMsg: "HTTP (200) response met neither success nor failure criteria",
		},
		{
			name: "only a failure expression, not met: running",
			cfg:  map[string]any{"url": srv.URL + "/json", "failureExpression": "response.status >= 500"},
			want: result{Status: "Running", RetryAfter: 30 * time.Second},
		},
		{
			name: "no expressions, 2xx: succeeded",
			cfg: map[string]any{"url": srv.URL + "/status/204", "method": "DELETE",
				"outputs": []any{map[string]any{"name": "s", "fromExpression": "response.status"}}},
			want: result{Status: "Succeeded", Outputs: map[string]any{"s": 204.0}},
		},
		{
			name:    "no expressions, 500: running until retry.timeout",
			cfg:     map[string]any{"url": srv.URL + "/status/500"},
			want:    result{Status: "Running", RetryAfter: 30 * time.Second},
			wantMsg: "HTTP (500) response is not 2xx",
		},
		{
			name: "text body is a string",
			cfg: map[string]any{"url": srv.URL + "/text", "successExpression": "response.body == 'hello'",
				"outputs": []any{map[string]any{"name": "body", "fromExpression": "response.body"}}},
			want: result{Status: "Succeeded", Outputs: map[string]any{"body": "hello"}},
		},
		{
			name: "yaml body is parsed",
			cfg:  map[string]any{"url": srv.URL + "/yaml", "successExpression": "response.body.state == 'done' && response.body.count == 3"},
			want: result{Status: "Succeeded"},
		},
		{
			name: "unknown type holding JSON is parsed as JSON",
			cfg:  map[string]any{"url": srv.URL + "/untyped-json", "successExpression": "response.body.state == 'done'"},
			want: result{Status: "Succeeded"},
		},
		{
			name: "unknown type holding no JSON is {}",
			cfg:  map[string]any{"url": srv.URL + "/html", "successExpression": "type(response.body) == 'map' && len(response.body) == 0"},
			want: result{Status: "Succeeded"},
		},
		{
			name: "responseContentType forces text",
			cfg: map[string]any{"url": srv.URL + "/json", "responseContentType": "text/plain",
				"successExpression": "type(response.body) == 'string' && response.body startsWith '{\"state\"'"},
			want: result{Status: "Succeeded"},
		},
		{
			name: "headers, query params and body are sent",
			cfg: map[string]any{
				"url":         srv.URL + "/echo?a=1",
				"method":      "POST",
				"headers":     []any{map[string]any{"name": "Authorization", "value": "Bearer s3cret-token"}},
				"queryParams": []any{map[string]any{"name": "q", "value": "a b&c"}},
				"body":        `{"x":1}`,
				"successExpression": `response.body.method == 'POST' && response.body.headers.Authorization[0] == 'Bearer s3cret-token' && ` +
					`response.body.query == 'a=1&q=a+b%26c' && response.body.body == '{"x":1}'`,
			},
			want: result{Status: "Succeeded"},
		},
		{
			name:    "success expression that is not a boolean: errored",
			cfg:     map[string]any{"url": srv.URL + "/json", "successExpression": "response.body.state"},
			want:    result{Status: "Errored", Reason: "ExpressionFailed"},
			wantMsg: "config.successExpression: must evaluate to a boolean, not string",
		},
		{
			name:    "output expression that fails: errored",
			cfg:     map[string]any{"url": srv.URL + "/json", "outputs": []any{map[string]any{"name": "x", "fromExpression": "response.body.missing.key"}}},
			want:    result{Status: "Errored", Reason: "ExpressionFailed"},
			wantMsg: "config.outputs[0].fromExpression",
		},
		{
			name:    "response larger than the configured limit",
			cfg:     map[string]any{"url": srv.URL + "/big/1025", "successExpression": "true"},
			opts:    func(o *httpstep.Options) { o.MaxResponseBytes = 1024 },
			want:    result{Status: "Errored", Reason: "ResponseTooLarge"},
			wantMsg: "response body too large: more than the limit of 1 KiB",
		},
		{
			name: "response at the configured limit",
			cfg:  map[string]any{"url": srv.URL + "/big/1024", "successExpression": "len(response.body) == 1024"},
			opts: func(o *httpstep.Options) { o.MaxResponseBytes = 1024 },
			want: result{Status: "Succeeded"},
		},
		{
			name:    "response larger than the default 2 MiB",
			cfg:     map[string]any{"url": srv.URL + "/big/" + strconv.Itoa(2<<20+1)},
			want:    result{Status: "Errored", Reason: "ResponseTooLarge"},
			wantMsg: "more than the limit of 2 MiB",
		},
		{
			name:    "too many redirects",
			cfg:     map[string]any{"url": srv.URL + "/loop"},
			opts:    func(o *httpstep.Options) { o.MaxRedirects = 3 },
			want:    result{Status: "Errored", Reason: "TooManyRedirects"},
			wantMsg: "too many redirects: stopped after 3",
		},
		{
			name: "redirects within the limit are followed",
			cfg:  map[string]any{"url": srv.URL + "/redirect?to=/json", "successExpression": "response.body.id == 42"},
			opts: func(o *httpstep.Options) { o.MaxRedirects = 1 },
			want: result{Status: "Succeeded"},
		},
		{
			name: "negative MaxRedirects hands the 3xx to the expressions",
			cfg:  map[string]any{"url": srv.URL + "/redirect?to=/json", "successExpression": "response.status == 302 && response.header('Location') == '/json'"},
			opts: func(o *httpstep.Options) { o.MaxRedirects = -1 },
			want: result{Status: "Succeeded"},
		},
		{
			name: "allowlisted host",
			cfg:  map[string]any{"url": srv.URL + "/json", "successExpression": "true"},
			opts: func(o *httpstep.Options) {
				o.AllowedHosts = map[string][]string{"kargo-demo": {"example.com", "127.0.0.1"}}
			},
			want: result{Status: "Succeeded"},
		},
		{
			name: "allowlist of another project does not apply",
			cfg:  map[string]any{"url": srv.URL + "/json", "successExpression": "true"},
			opts: func(o *httpstep.Options) {
				o.AllowedHosts = map[string][]string{"other": {"example.com"}, "*": {"127.0.0.1"}}
			},
			want: result{Status: "Succeeded"},
		},
		{
			name:    "host outside the allowlist",
			cfg:     map[string]any{"url": srv.URL + "/json"},
			opts:    func(o *httpstep.Options) { o.AllowedHosts = map[string][]string{"kargo-demo": {"*.example.com"}} },
			want:    result{Status: "Failed", Reason: "HostNotAllowed", Terminal: true},
			wantMsg: `host is not in the project's allowlist: 127.0.0.1 (project "kargo-demo")`,
		},
		{
			name:    "host outside the default allowlist",
			cfg:     map[string]any{"url": srv.URL + "/json"},
			opts:    func(o *httpstep.Options) { o.AllowedHosts = map[string][]string{"*": {"127.0.0.1:1"}} },
			want:    result{Status: "Failed", Reason: "HostNotAllowed", Terminal: true},
			wantMsg: "host is not in the project's allowlist",
		},
		{
			name:    "redirect to a host outside the allowlist",
			cfg:     map[string]any{"url": srv.URL + "/redirect?to=" + url.QueryEscape(srv.localhostURL()+"/json")},
			opts:    func(o *httpstep.Options) { o.AllowedHosts = map[string][]string{"kargo-demo": {"127.0.0.1"}} },
			want:    result{Status: "Failed", Reason: "HostNotAllowed", Terminal: true},
			wantMsg: "redirect: host is not in the project's allowlist: localhost",
		},
		{
			name: "redirect to an allowlisted host",
			cfg: map[string]any{"url": srv.URL + "/redirect?to=" + url.QueryEscape(srv.localhostURL()+"/json"), "successExpression": "response.body.id == 42",
				// The test certificate does not name localhost.
				"insecureSkipTLSVerify": true},
			opts: func(o *httpstep.Options) {
				o.AllowedHosts = map[string][]string{"kargo-demo": {"127.0.0.1", "LOCALHOST"}}
			},
			want: result{Status: "Succeeded"},
		},
		{
			name:    "link-local address refused",
			cfg:     map[string]any{"url": "http://169.254.169.254/latest/meta-data"},
			want:    result{Status: "Failed", Reason: "LinkLocalRefused", Terminal: true},
			wantMsg: "connections to link-local addresses are refused: 169.254.169.254",
		},
		{
			name:    "redirect to a link-local address refused",
			cfg:     map[string]any{"url": srv.URL + "/redirect?to=" + url.QueryEscape("http://[fe80::1]/")},
			want:    result{Status: "Failed", Reason: "LinkLocalRefused", Terminal: true},
			wantMsg: "connections to link-local addresses are refused: fe80::1",
		},
		{
			name:    "timeout",
			cfg:     map[string]any{"url": srv.URL + "/slow", "timeout": "50ms"},
			want:    result{Status: "Errored", Reason: "Timeout"},
			wantMsg: "no response within the timeout of 50ms",
		},
		{
			name:    "untrusted certificate",
			cfg:     map[string]any{"url": srv.URL + "/json"},
			opts:    func(o *httpstep.Options) { o.RootCAs = nil },
			want:    result{Status: "Errored", Reason: "TLSVerifyFailed"},
			wantMsg: "verify the server's certificate",
		},
		{
			name: "untrusted certificate, insecureSkipTLSVerify",
			cfg:  map[string]any{"url": srv.URL + "/json", "insecureSkipTLSVerify": true, "successExpression": "response.body.id == 42"},
			opts: func(o *httpstep.Options) { o.RootCAs = nil },
			want: result{Status: "Succeeded"},
		},
		{
			name:    "unknown config field",
			cfg:     map[string]any{"url": srv.URL + "/json", "sucessExpression": "true"},
			want:    result{Status: "Failed", Reason: "InvalidConfig", Terminal: true},
			wantMsg: "sucessExpression",
		},
		{
			name:    "bad method, timeout and both bodies",
			cfg:     map[string]any{"url": srv.URL + "/json", "method": "TRACE", "timeout": "soon", "body": "x", "bodyFromFile": "x"},
			want:    result{Status: "Failed", Reason: "InvalidConfig", Terminal: true},
			wantMsg: `step "call" (http): invalid step config`,
		},
		{
			name:    "bad timeout",
			cfg:     map[string]any{"url": srv.URL + "/json", "timeout": "-1s"},
			want:    result{Status: "Failed", Reason: "InvalidConfig", Terminal: true},
			wantMsg: `config.timeout: "-1s" is not a positive duration`,
		},
		{
			name:    "bad scheme",
			cfg:     map[string]any{"url": "file:///etc/passwd"},
			want:    result{Status: "Failed", Terminal: true},
			wantMsg: `config.url: scheme must be http or https, not "file"`,
		},
		{
			name:    "bodyFromFile escaping the workspace",
			cfg:     map[string]any{"url": srv.URL + "/echo", "method": "POST", "bodyFromFile": "../etc/passwd"},
			want:    result{Status: "Failed", Reason: "PathEscapes", Terminal: true},
			wantMsg: "config.bodyFromFile: path escapes the workspace",
		},
		{
			name:    "bodyFromFile missing",
			cfg:     map[string]any{"url": srv.URL + "/echo", "method": "POST", "bodyFromFile": "body.json"},
			want:    result{Status: "Errored"},
			wantMsg: "body.json does not exist in the workspace",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := srv.trusted()
			if tt.opts != nil {
				tt.opts(&o)
			}
			got, msg := run(t, httpstep.New(o), newContext(t, tt.cfg, nil))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run() mismatch (-want +got):\n%s\nmessage: %s", diff, msg)
			}
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("Run() message = %q, want it to contain %q", msg, tt.wantMsg)
			}
		})
	}
}

// TestPollUntilSuccess runs the step again on the same job, as the scheduler does for a
// Running step, until the server reports success.
func TestPollUntilSuccess(t *testing.T) {
	srv := newServer(t)
	step := httpstep.New(srv.trusted())
	sc := newContext(t, map[string]any{
		"url":               srv.URL + "/poll",
		"successExpression": "response.body.state == 'done'",
		"failureExpression": "response.body.state == 'failed'",
		"pollInterval":      "10s",
		"outputs":           []any{map[string]any{"name": "version", "fromExpression": "response.body.version"}},
	}, nil)
	var statuses []string
	var last result
	for range 3 {
		last, _ = run(t, step, sc)
		statuses = append(statuses, last.Status)
	}
	if diff := cmp.Diff([]string{"Running", "Running", "Succeeded"}, statuses); diff != "" {
		t.Errorf("statuses of three polls mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"version": "v2"}, last.Outputs); diff != "" {
		t.Errorf("outputs after success mismatch (-want +got):\n%s", diff)
	}
}

func TestBodyFromFile(t *testing.T) {
	srv := newServer(t)
	sc := newContext(t, map[string]any{
		"url": srv.URL + "/echo", "method": "PUT", "bodyFromFile": "./payload/body.json",
		"outputs": []any{map[string]any{"name": "sent", "fromExpression": "response.body.body"}},
	}, nil)
	if err := os.MkdirAll(filepath.Join(sc.WorkDir, "payload"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sc.WorkDir, "payload", "body.json"), []byte(`{"v":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	got, msg := run(t, httpstep.New(srv.trusted()), sc)
	want := result{Status: "Succeeded", Outputs: map[string]any{"sent": `{"v":2}`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run() mismatch (-want +got):\n%s\nmessage: %s", diff, msg)
	}
}

func TestBodyFromFileSymlinkEscape(t *testing.T) {
	srv := newServer(t)
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := newContext(t, map[string]any{"url": srv.URL + "/echo", "method": "POST", "bodyFromFile": "link"}, nil)
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "link")); err != nil {
		t.Fatal(err)
	}
	got, msg := run(t, httpstep.New(srv.trusted()), sc)
	want := result{Status: "Failed", Reason: "PathEscapes", Terminal: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run() mismatch (-want +got):\n%s\nmessage: %s", diff, msg)
	}
}

// TestSecretsStayOut checks that header values, query values, URL passwords and URL paths
// never reach the message or the log, whatever the failure.
func TestSecretsStayOut(t *testing.T) {
	srv := newServer(t)
	u, _ := url.Parse(srv.URL)
	secrets := []string{"hdr-secret-1", "query-secret-2", "pw-secret-3", "path-secret-4"}
	base := "https://user:pw-secret-3@" + u.Host
	tests := []struct {
		name string
		path string
		opts func(o *httpstep.Options)
		cfg  map[string]any
	}{
		{name: "too many redirects", path: "/loop", opts: func(o *httpstep.Options) { o.MaxRedirects = 2 }},
		{name: "timeout", path: "/slow", cfg: map[string]any{"timeout": "20ms"}},
		{name: "tls", path: "/json", opts: func(o *httpstep.Options) { o.RootCAs = nil }},
		{name: "not allowed", path: "/json", opts: func(o *httpstep.Options) { o.AllowedHosts = map[string][]string{"*": nil} }},
		{name: "expression error", path: "/json", cfg: map[string]any{"successExpression": "response.body.missing.x"}},
		{name: "running", path: "/status/500"},
		{name: "succeeded", path: "/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]any{
				"url":         base + tt.path + "?path-secret-4=1&token=query-secret-2",
				"headers":     []any{map[string]any{"name": "Authorization", "value": "Bearer hdr-secret-1"}},
				"queryParams": []any{map[string]any{"name": "key", "value": "query-secret-2"}},
			}
			for k, v := range tt.cfg {
				cfg[k] = v
			}
			o := srv.trusted()
			if tt.opts != nil {
				tt.opts(&o)
			}
			var log bytes.Buffer
			got, msg := run(t, httpstep.New(o), newContext(t, cfg, &log))
			if msg == "" {
				t.Fatalf("Run() gave no message (status %s)", got.Status)
			}
			for _, s := range secrets {
				if strings.Contains(msg, s) || strings.Contains(log.String(), s) {
					t.Errorf("secret %q in message %q or log %q", s, msg, log.String())
				}
			}
		})
	}
}

func TestInfo(t *testing.T) {
	got := httpstep.New(httpstep.Options{}).Info()
	want := steps.Info{Name: "http", Executor: "http", ReadOnly: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Info() mismatch (-want +got):\n%s", diff)
	}
	if e, _ := steps.ExecutorFor(got.Name); e != got.Executor {
		t.Errorf("ExecutorFor(%q) = %q, want %q", got.Name, e, got.Executor)
	}
}

// TestRedact checks the last guard on messages directly.
func TestRedact(t *testing.T) {
	r := httpstep.Request{
		URL:         "https://u:pass-word@h/p?tok=qv-secret",
		Headers:     []httpstep.NameValue{{Name: "X-Key", Value: "hv-secret"}, {Name: "X-Short", Value: "ab"}},
		QueryParams: []httpstep.NameValue{{Name: "k", Value: "a b secret"}},
	}
	err := r.Redact(steps.Terminal(fmt.Errorf("saw hv-secret, qv-secret, pass-word, a+b+secret and ab")))
	want := "saw [redacted], [redacted], [redacted], [redacted] and ab"
	if err.Error() != want {
		t.Errorf("Redact() = %q, want %q", err.Error(), want)
	}
	if !steps.IsTerminal(err) {
		t.Errorf("IsTerminal(Redact(terminal)) = false, want true")
	}
}

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"https://user:pw@hooks.example.com/services/T0/B0/xyz?x=1": "https://hooks.example.com/…",
		"http://example.com":  "http://example.com",
		"http://example.com/": "http://example.com",
		"::":                  "(invalid URL)",
	}
	for in, want := range tests {
		if got := httpstep.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
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
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	step := httpstep.New(httpstep.Options{ClientOptions: httpstep.ClientOptions{RootCAs: pool, AllowedHosts: allowing(srv.URL)}})
	_, err := step.Run(ctx, newContext(t, map[string]any{"url": srv.URL}, nil))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want %v", err, context.Canceled)
	}
}

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, httpstep.Name, httpstep.Config{})
}
