package gateway

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
)

// testGateway serves the gateway's handler on a real embedded NATS and returns its URL, the
// handler (for its patterns) and the API. send calls it with a system-admin token.
func testGateway(t testing.TB) (string, *checkedMux, *api) {
	t.Helper()
	return testGatewayOn(t, bustest.Start(t).Connect(t))
}

// testGatewayOn is testGateway on the bus b.
func testGatewayOn(t testing.TB, b *bus.Bus) (string, *checkedMux, *api) {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	st, err := secret.NewStore(b.Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := newAuthn(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	a := &api{Deps: service.Deps{Log: slog.New(slog.DiscardHandler), Bus: b, Metrics: prometheus.NewRegistry(), Secrets: st}, auth: auth}
	mux := newHandler(a, prometheus.NewRegistry(), nil)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	admin := newToken(t, a, v1.APIToken{Name: "test-admin", SystemAdmin: true})
	adminTokens.Store(srv.URL, admin)
	t.Cleanup(func() { adminTokens.Delete(srv.URL) })
	return srv.URL, mux, a
}

// adminTokens holds the system-admin token of each testGateway, by URL.
var adminTokens sync.Map

// newToken stores a token and waits until the gateway's index has it.
func newToken(t testing.TB, a *api, rec v1.APIToken) string {
	t.Helper()
	text, _, err := a.auth.store.Create(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := a.auth.tokens.Lookup(text, time.Now()); err == nil {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("token %s never reached the gateway's index", rec.Name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// send calls the gateway at u as its system admin.
func send(t *testing.T, method, u, body string) (int, v1.ErrorResponse) {
	t.Helper()
	var tok string
	adminTokens.Range(func(base, v any) bool {
		if strings.HasPrefix(u, base.(string)+"/") {
			tok = v.(string)
		}
		return tok == ""
	})
	return sendAs(t, tok, method, u, body)
}

// sendAs calls the gateway with tok as bearer token (none when empty).
func sendAs(t *testing.T, tok, method, u, body string) (int, v1.ErrorResponse) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, v1.ErrorResponse{} // the UI's event stream runs until closed
	}
	data, _ := io.ReadAll(resp.Body)
	var e v1.ErrorResponse
	_ = json.Unmarshal(data, &e)
	return resp.StatusCode, e
}

// hostile are values no project or name may have: NATS wildcards and separators, spaces, NUL,
// '$', upper case, and a name long enough to break a NATS control line.
var hostile = []string{"*", ">", "a.*", ".a", "a b", "a\x00b", "$JS", "Dev", "a_b", strings.Repeat("x", 5000)}

// TestRoutesRefuseHostileNames walks every route the gateway registers and sends each hostile
// value in each of its path wildcards: every request gets 400 naming the field, and the NATS
// connection survives, so a valid request afterwards works.
func TestRoutesRefuseHostileNames(t *testing.T) {
	base, mux, a := testGateway(t)
	valid := map[string]string{"project": "demo", "name": "prod", "token": "abc"}
	tested := 0
	for _, pattern := range mux.patterns {
		method, path, _ := strings.Cut(pattern, " ")
		for _, field := range patternWildcards(pattern) {
			for _, bad := range hostile {
				u := path
				for w, v := range valid {
					if w == field {
						v = bad
					}
					u = strings.ReplaceAll(u, "{"+w+"}", url.PathEscape(v))
				}
				code, e := send(t, method, base+u, `{"stage":"prod","freight":"f","alias":"a"}`)
				if code != http.StatusBadRequest || !strings.HasPrefix(e.Error, field+": ") {
					t.Errorf("%s with %s=%.20q: got %d %q, want 400 naming %s", pattern, field, bad, code, e.Error, field)
				}
				tested++
			}
		}
	}
	if tested < 100 {
		t.Fatalf("walked only %d requests; the route table looks empty", tested)
	}
	if !a.Bus.Conn.IsConnected() {
		t.Fatal("the gateway's NATS connection is down after the hostile requests")
	}
	if code, e := send(t, http.MethodGet, base+"/api/v1/projects/demo/stages", ""); code != http.StatusOK {
		t.Fatalf("valid request after the hostile ones: %d %s", code, e.Error)
	}
}

// TestWildcardProjectListsNothing: "*" as a project is refused, not read as every project.
func TestWildcardProjectListsNothing(t *testing.T) {
	base, _, _ := testGateway(t)
	for _, p := range []string{"*", ">", "%2A"} {
		code, e := send(t, http.MethodGet, base+"/api/v1/projects/"+p+"/secrets", "")
		if code != http.StatusBadRequest || !strings.Contains(e.Error, "project: ") {
			t.Errorf("GET secrets of project %q: %d %q, want 400 naming project", p, code, e.Error)
		}
	}
}

// TestBodyNames: names in JSON bodies are checked like path values, with the JSON field.
func TestBodyNames(t *testing.T) {
	base, _, _ := testGateway(t)
	tests := []struct {
		method, path, body, field string
	}{
		{"POST", "/api/v1/projects/demo/promotions", `{"stage":"*","freight":"f"}`, "stage"},
		{"POST", "/api/v1/projects/demo/promotions", `{"stage":"prod","freight":"a.>"}`, "freight"},
		{"POST", "/api/v1/projects/demo/promotions", `{"stage":"` + strings.Repeat("s", 5000) + `","freight":"f"}`, "stage"},
		{"POST", "/api/v1/projects/demo/freight/f/approve", `{"stage":"a b"}`, "stage"},
		{"PUT", "/api/v1/projects/demo/freight/f/alias", `{"alias":"$x"}`, "alias"},
	}
	for _, tt := range tests {
		code, e := send(t, tt.method, base+tt.path, tt.body)
		if code != http.StatusBadRequest || !strings.HasPrefix(e.Error, tt.field+": ") {
			t.Errorf("%s %s %.40s: %d %q, want 400 naming %s", tt.method, tt.path, tt.body, code, e.Error, tt.field)
		}
	}
}
