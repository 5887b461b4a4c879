package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/store"
)

// webClient is an HTTP client that keeps cookies and does not follow redirects, as a test
// needs to see them.
func webClient(t *testing.T) *http.Client {
	t.Helper()
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Jar: newJar(t)}
}

func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}

// get sends a browser's GET (Accept: text/html), with a bearer token when tok is set.
func get(t *testing.T, c *http.Client, tok, u string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp, ""
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestEveryPageNeedsIdentity walks every UI route as a browser: not signed in, a page sends
// it to the login page (an htmx request is told to go there); signed in without the role, the
// refusal is explained on an HTML page naming the verb and a role that would do.
func TestEveryPageNeedsIdentity(t *testing.T) {
	base, mux, a := testGateway(t)
	viewer := newToken(t, a, v1.APIToken{Name: "v", Project: "demo", Role: "viewer"})
	other := newToken(t, a, v1.APIToken{Name: "o", Project: "other", Role: "admin"})
	c := webClient(t)
	pages := 0
	for _, pattern := range mux.patterns {
		p := mux.perms[pattern]
		if !p.isPage {
			continue
		}
		pages++
		_, path, _ := strings.Cut(pattern, " ")
		u := base + strings.NewReplacer("{project}", "demo", "{name}", "prod", "{$}", "").Replace(path)
		resp, _ := get(t, c, "", u)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?return=") {
			t.Errorf("anonymous browser %s: %d Location %q, want 303 to /login?return=…", pattern, resp.StatusCode, loc)
		}
		resp, _ = get(t, c, "", u, "HX-Request", "true")
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/login?return=") {
			t.Errorf("anonymous htmx %s: %d HX-Redirect %q, want 401 with HX-Redirect to /login", pattern, resp.StatusCode, resp.Header.Get("HX-Redirect"))
		}
		if p.anyone {
			continue
		}
		refused := false
		for _, tok := range []string{viewer, other} {
			resp, body := get(t, c, tok, u)
			if resp.StatusCode != http.StatusForbidden {
				continue
			}
			refused = true
			if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "You may not do this") ||
				!strings.Contains(body, p.verb) || !strings.Contains(body, "role") {
				t.Errorf("%s: 403 %q is not a page explaining the verb and a role", pattern, body)
			}
		}
		if !refused {
			t.Errorf("%s: no under-privileged browser was refused", pattern)
		}
	}
	if pages < 8 {
		t.Fatalf("walked %d UI routes; the UI's routes look missing", pages)
	}
}

// TestTokenSignIn: the login page takes an API token and sets a sealed session cookie; the
// session reads pages, changes things only with the CSRF header, and ends when the token is
// revoked.
func TestTokenSignIn(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	c := webClient(t)
	post := func(form url.Values) (*http.Response, string) {
		form.Set("csrf", loginFormCSRF(t, c, base))
		return postLogin(t, c, base, form)
	}
	if resp, body := post(url.Values{"token": {"dray_demo.nobody_AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "unknown") {
		t.Errorf("sign in with an unknown token: %d %q, want 401 saying so", resp.StatusCode, body)
	}
	dev := newToken(t, a, v1.APIToken{Name: "dev", Project: "demo", Role: "developer"})
	resp, _ := post(url.Values{"token": {dev}, "return": {"/projects/demo"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/projects/demo" {
		t.Fatalf("sign in: %d to %q, want 303 to /projects/demo", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, ck := range resp.Cookies() {
		if strings.Contains(ck.Value, dev) || strings.Contains(ck.Value, dev[len(dev)-20:]) {
			t.Errorf("cookie %s holds the token", ck.Name)
		}
	}
	resp, body := get(t, c, "", base+"/projects/demo")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="stage-dev"`) || !strings.Contains(body, "token:demo/dev") {
		t.Fatalf("pipeline page signed in: %d %q", resp.StatusCode, body)
	}
	u, _ := url.Parse(base)
	csrf := ""
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == csrfCookie {
			csrf = ck.Value
		}
	}
	pause := func(header string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v1/projects/demo/stages/dev/pause", nil)
		if header != "" {
			req.Header.Set(csrfHeader, header)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := pause(""); code != http.StatusForbidden {
		t.Errorf("pause by cookie without the CSRF header: %d, want 403", code)
	}
	if code := pause("wrong"); code != http.StatusForbidden {
		t.Errorf("pause by cookie with a wrong CSRF header: %d, want 403", code)
	}
	if code := pause(csrf); code != http.StatusAccepted {
		t.Fatalf("pause by cookie with the CSRF header: %d, want 202", code)
	}
	if got := lastActor(t, a, "pause"); got != "token:demo/dev" {
		t.Errorf("pause by the UI's session: actor %q, want token:demo/dev", got)
	}
	if err := a.auth.store.Revoke(t.Context(), "demo", "dev"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, _ := get(t, c, "", base+"/projects/demo")
		if resp.StatusCode == http.StatusSeeOther {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session of a revoked token still reads pages: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPipelinePage: the graph shows the Warehouse and each Stage as a card with its Freight,
// its last Promotion and whether it is paused, and an edge for each source.
func TestPipelinePage(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	admin, _ := adminTokens.Load(base)
	st := v1.StageStatus{
		FreightHistory: []v1.StageHistoryEntry{{Freight: "f1", Alias: "first", Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, Promotion: "dev.1"}},
		LastPromotion:  &v1.PromotionReference{Name: "dev.1", Freight: "f1", Phase: v1.PhaseFailed},
		Paused:         &v1.StagePaused{By: "someone"},
		Queued:         []v1.PromotionReference{{Name: "dev.2"}, {Name: "dev.3"}},
	}
	if err := putJSON(t, a.Bus.Stages, bus.Key("demo", "dev"), &st); err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, webClient(t), admin.(string), base+"/projects/demo")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("pipeline page: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{`aria-label="Warehouse app"`, `id="stage-dev"`, `id="stage-prod"`, ">first</a>",
		`data-phase="Failed"`, "2 queued", ">Paused<", ">Resume<", `data-from="app" data-to="dev"`,
		`data-events="/projects/demo/events"`} {
		if !strings.Contains(body, want) {
			t.Errorf("pipeline page lacks %s", want)
		}
	}
	_, body = get(t, webClient(t), admin.(string), base+"/projects/demo/stages/prod/promote")
	if !strings.Contains(body, `name="freight" value="`) || !strings.Contains(body, "<strong>first</strong>") {
		t.Errorf("promote dialog of prod offers no Freight: %s", body)
	}
	resp, body = get(t, webClient(t), admin.(string), base+"/projects/demo/stages/prod/preview?freight=first", "HX-Request", "true")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<code>v1</code>") || !strings.Contains(body, "compose-output") {
		t.Errorf("preview of first in prod: %d %s, want its artifacts and steps", resp.StatusCode, body)
	}
}

// TestEventsStream: the UI's stream sends, as they happen, the project's events (naming the
// Promotion and Stage) and its Stages' status writes, and nothing of other projects.
func TestEventsStream(t *testing.T) {
	base, _, a := testGateway(t)
	admin, _ := adminTokens.Load(base)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/projects/demo/events", nil)
	req.Header.Set("Authorization", "Bearer "+admin.(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() liveEvent {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var ev liveEvent
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					t.Fatalf("event %q: %v", data, err)
				}
				return ev
			}
		}
		t.Fatalf("stream ended: %v", lines.Err())
		return liveEvent{}
	}
	// The subscription starts before the first line is sent: read it, then publish.
	for lines.Scan() && !strings.HasPrefix(lines.Text(), ": following") {
	}
	ev := v1.PromotionEvent{Project: "demo", Stage: "dev", Promotion: "dev.1", Freight: "f1", Phase: v1.PhaseSucceeded}
	if err := a.Bus.PublishEvent(ctx, "other", v1.TypePromotionSucceeded, "other-1", "promotion/x", ev); err != nil {
		t.Fatal(err)
	}
	if err := a.Bus.PublishEvent(ctx, "demo", v1.TypePromotionSucceeded, "demo-1", "promotion/dev.1", ev); err != nil {
		t.Fatal(err)
	}
	got := next()
	if got.Promotion != "dev.1" || got.Stage != "dev" || got.Type != "promotion.succeeded" || got.Time == 0 {
		t.Errorf("first event %+v, want promotion.succeeded of dev.1 in dev (the other project's event must not come)", got)
	}
	if err := putJSON(t, a.Bus.Stages, bus.Key("demo", "prod"), &v1.StageStatus{FreightSummary: "f1"}); err != nil {
		t.Fatal(err)
	}
	if got := next(); got.Stage != "prod" || got.Type != "stage.status" {
		t.Errorf("after a status write: %+v, want stage.status of prod", got)
	}
}

// loginFormCSRF opens the login page as c and returns its form's CSRF token.
func loginFormCSRF(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	_, body := get(t, c, "", base+"/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the login page has no CSRF field: %s", body)
	}
	return m[1]
}

func postLogin(t *testing.T, c *http.Client, base string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(base+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestLoginFormCSRF: the login form signs in only with the token its page gave, in the
// cookie its page set: a form posted from another site (no token, a wrong one, or a token
// without the cookie) is refused with 403 and no session, and the page to try again.
func TestLoginFormCSRF(t *testing.T) {
	base, _, a := testGateway(t)
	dev := newToken(t, a, v1.APIToken{Name: "dev", Project: "demo", Role: "developer"})
	c := webClient(t)
	good := loginFormCSRF(t, c, base)
	for name, form := range map[string]url.Values{
		"no CSRF field":    {"token": {dev}},
		"a wrong CSRF":     {"token": {dev}, "csrf": {good + "x"}},
		"another's cookie": {"token": {dev}, "csrf": {loginFormCSRF(t, webClient(t), base)}},
	} {
		resp, body := postLogin(t, c, base, form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "sign in again") || !strings.Contains(body, `name="csrf"`) {
			t.Errorf("%s: %d %q, want 403 with the form again", name, resp.StatusCode, body)
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == tokenCookie && ck.MaxAge > 0 {
				t.Errorf("%s: a session cookie was set", name)
			}
		}
	}
	fresh := webClient(t) // a browser that never opened the login page
	if resp, _ := postLogin(t, fresh, base, url.Values{"token": {dev}, "csrf": {good}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the CSRF token without its cookie: %d, want 403", resp.StatusCode)
	}
	if resp, _ := postLogin(t, c, base, url.Values{"token": {dev}, "csrf": {loginFormCSRF(t, c, base)}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign in with the page's CSRF token: %d, want 303", resp.StatusCode)
	}
}

// TestLogoutCSRF: a page's sign-out form carries the session's CSRF token; a sign-out
// posted without it (from another site) is refused and the session goes on.
func TestLogoutCSRF(t *testing.T) {
	base, _, a := testGateway(t)
	dev := newToken(t, a, v1.APIToken{Name: "dev", Project: "demo", Role: "developer"})
	c := webClient(t)
	if resp, _ := postLogin(t, c, base, url.Values{"token": {dev}, "csrf": {loginFormCSRF(t, c, base)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	_, body := get(t, c, "", base+"/")
	m := regexp.MustCompile(`action="/logout"><input type="hidden" name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page's sign-out form has no CSRF token: %s", body)
	}
	logout := func(form url.Values) int {
		resp, err := c.PostForm(base+"/logout", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := logout(url.Values{}); code != http.StatusForbidden {
		t.Errorf("sign out without the CSRF token: %d, want 403", code)
	}
	if resp, _ := get(t, c, "", base+"/"); resp.StatusCode != http.StatusOK {
		t.Errorf("after a refused sign-out the session should go on: %d", resp.StatusCode)
	}
	if code := logout(url.Values{"csrf": {m[1]}}); code != http.StatusSeeOther {
		t.Errorf("sign out with the CSRF token: %d, want 303", code)
	}
	if resp, _ := get(t, c, "", base+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after signing out the page answers %d, want 303 to the login page", resp.StatusCode)
	}
}

func putJSON(t *testing.T, kv jetstream.KeyValue, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = kv.Put(t.Context(), key, data)
	return err
}

// TestFreightPages: the timeline shows 50 Freight a page, newest first, keeping the
// Warehouse filter in its links; a Freight's page shows its history (the Stage that received
// it, through which Promotion, and where it was verified and rejected), compares it with
// another Freight, and offers to reject and unreject; the promote dialog opened by a drop
// has the dropped Freight chosen; the strip offers the newest Freight to drag.
func TestFreightPages(t *testing.T) {
	base, _, a := testGateway(t)
	docs := []string{demoPipeline()}
	for i := 2; i <= 60; i++ {
		docs = append(docs, fmt.Sprintf(freightDoc, fmt.Sprintf("f%02d", i), fmt.Sprintf("a%02d", i), "app", fmt.Sprintf("v%d", i)))
	}
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", strings.Join(docs, "---\n")); code != http.StatusOK {
		t.Fatalf("apply: %d %s", code, e.Error)
	}
	admin, _ := adminTokens.Load(base)
	tok := admin.(string)
	c := webClient(t)

	_, body := get(t, c, tok, base+"/projects/demo/freight?warehouse=app")
	if n := strings.Count(body, "<tr data-freight="); n != 50 || !strings.Contains(body, "Freight 1–50 of 60 · page 1 of 2") ||
		!strings.Contains(body, `href="/projects/demo/freight?warehouse=app&amp;page=2">Older`) {
		t.Errorf("timeline page 1: %d rows, want 50 and a link to page 2 keeping the filter:\n%s", n, body)
	}
	_, body = get(t, c, tok, base+"/projects/demo/freight?warehouse=app&page=2")
	if n := strings.Count(body, "<tr data-freight="); n != 10 || !strings.Contains(body, "page 2 of 2") || !strings.Contains(body, "page=1\">← Newer") {
		t.Errorf("timeline page 2: %d rows, want 10 and a link back", n)
	}

	f, err := store.Freight(t.Context(), a.Bus, "demo", "first")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-time.Hour)
	st := v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{{Freight: f.Metadata.Name, Alias: "first", Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Promotion: "dev.1", Actor: "token:demo/dev", Since: &since}}}
	if err := putJSON(t, a.Bus.Stages, bus.Key("demo", "dev"), &st); err != nil {
		t.Fatal(err)
	}
	f.Status.VerifiedIn = map[string]v1.VerifiedStage{"dev": {VerifiedAt: &since}}
	f.Status.RejectedFor = map[string]v1.FreightRejection{"prod": {By: "email:sam@example.com", Reason: "CVE-1", At: &since}}
	if err := putJSON(t, a.Bus.Freight, bus.Key("demo", f.Metadata.Name), f); err != nil {
		t.Fatal(err)
	}
	f02, err := store.Freight(t.Context(), a.Bus, "demo", "a02")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, c, tok, base+"/projects/demo/freight/first?compare=a02")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("freight detail: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`<tr data-what="received" data-stage="dev">`, `href="/projects/demo/promotions/dev.1">dev.1</a>`, "token:demo/dev", "(holds it)",
		`<tr data-what="verified" data-stage="dev">`, `<tr data-what="rejected" data-stage="prod">`, "CVE-1",
		"What changed from a02 to first", "<code>v2</code>", "<code>v1</code>", `<tr class="changed"><th scope="row">image ghcr.io/example/app`,
		`<option value="` + f02.Metadata.Name + `" selected>`,
		`hx-post="/api/v1/projects/demo/freight/` + f.Metadata.Name + `/reject"`, `data-json-bool="undo"`, "Unreject for prod", `id="reject-stage"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("freight detail lacks %s", want)
		}
	}
	if resp, body := get(t, c, tok, base+"/projects/demo/freight/first?compare=nope"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `compare with Freight &#34;nope&#34;`) {
		t.Errorf("compare with a missing Freight: %d %s", resp.StatusCode, body)
	}

	_, body = get(t, c, tok, base+"/projects/demo/stages/dev/promote?freight=a07", "HX-Request", "true")
	if !strings.Contains(body, `hx-trigger="change, load" hx-target="#preview" hx-swap="innerHTML" checked>`) || strings.Count(body, " checked>") != 1 {
		t.Errorf("promote dialog after dropping a07 on dev: it should be the one chosen, its preview loading:\n%s", body)
	}
	_, body = get(t, c, tok, base+"/projects/demo/stages/dev/promote?freight=nope", "HX-Request", "true")
	if !strings.Contains(body, "Freight nope does not exist in project demo") {
		t.Errorf("promote dialog after dropping a missing Freight: %s", body)
	}
	_, body = get(t, c, tok, base+"/projects/demo/freight-strip", "HX-Request", "true")
	if n := strings.Count(body, `draggable="true" data-freight=`); n != 12 || !strings.Contains(body, "12 of 60") {
		t.Errorf("freight strip: %d chips, want the newest 12 of 60:\n%s", n, body)
	}
}

// TestArgoCDURLChecked: --argocd-url must be an http(s) address, as the UI links into it.
func TestArgoCDURLChecked(t *testing.T) {
	for _, u := range []string{"argocd.example.com", "javascript:alert(1)", "ftp://x"} {
		o := Options{Addr: ":8080", ArgoCDURL: u}
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "--argocd-url") {
			t.Errorf("--argocd-url %q: %v, want an error naming the flag", u, err)
		}
	}
	if err := (&Options{Addr: ":8080", ArgoCDURL: "https://cd.example.com"}).Validate(); err != nil {
		t.Errorf("an https address: %v", err)
	}
}

// TestPipelineWindowClosed: a Stage whose promotion windows are closed says so on its card,
// with the window's reason and when it opens, on the page and in a live card update.
func TestPipelineWindowClosed(t *testing.T) {
	base, _, _ := testGateway(t)
	start, end := time.Now().UTC().Add(-time.Hour), time.Now().UTC().Add(150*time.Minute+30*time.Second)
	cfg := fmt.Sprintf(`---
apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata: {name: demo, namespace: demo}
spec:
  promotionWindows:
  - name: release-freeze
    stageSelector: {name: prod}
    kind: Deny
    dtstart: TZID=UTC:%s
    dtend: TZID=UTC:%s
`, start.Format("20060102T150405"), end.Format("20060102T150405"))
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()+cfg); code != http.StatusOK {
		t.Fatalf("apply: %d %s", code, e.Error)
	}
	admin, _ := adminTokens.Load(base)
	for _, u := range []string{"/projects/demo", "/projects/demo/stages/prod/card?x=0&y=0"} {
		_, body := get(t, webClient(t), admin.(string), base+u)
		prod := body[strings.Index(body, `id="stage-prod"`):]
		if !strings.Contains(prod, "Window closed · opens in 2h30m") || !strings.Contains(prod, "release-freeze") {
			t.Errorf("%s: prod's card does not show its closed window:\n%s", u, prod)
		}
		if dev := body[strings.Index(body, `id="stage-dev"`)+1:]; u == "/projects/demo" && strings.Contains(dev[:strings.Index(dev, "</section>")], "Window closed") {
			t.Errorf("dev's card shows a window that does not select it")
		}
	}
}
