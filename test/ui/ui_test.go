// Package ui_test drives the web UI (docs/ui.md) in headless Chromium against a real
// gateway, state service, scheduler and executor on an embedded NATS server: sign in, read
// the pipeline, promote through the preview, watch the Promotion finish without reloading,
// approve, abort, and be refused with an explanation. One browser serves the whole binary;
// each test opens its own browser context (its own cookies).
//
// Screenshots go to $DRAY_UI_SCREENSHOTS when set (kept for a reviewer), else to a
// temporary directory.
package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/token"
	"github.com/drayhq/dray/services/gateway"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// browserCtx is the one Chromium of this test binary.
var browserCtx context.Context

func TestMain(m *testing.M) {
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		fmt.Fprintln(os.Stderr, "the UI tests need Chromium: .ci/deps installs Debian's chromium")
		os.Exit(1)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 800), chromedp.Flag("disable-dev-shm-usage", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "start chromium:", err)
		os.Exit(1)
	}
	browserCtx = ctx
	code := m.Run()
	cancel()
	cancelAlloc()
	os.Exit(code)
}

// quickStep succeeds at once with an output; holdStep runs until it is cancelled.
type quickStep struct{}

func (quickStep) Info() steps.Info {
	return steps.Info{Name: "quick", Executor: "test", ReadOnly: true}
}
func (quickStep) Run(context.Context, *steps.Context) (steps.Result, error) {
	return steps.Result{Outputs: map[string]any{"commit": "0123456789ab"}}, nil
}

type holdStep struct{}

func (holdStep) Info() steps.Info { return steps.Info{Name: "hold", Executor: "test", ReadOnly: true} }
func (holdStep) Run(ctx context.Context, _ *steps.Context) (steps.Result, error) {
	<-ctx.Done()
	return steps.Result{}, ctx.Err()
}

func route(uses string) (string, bool) {
	if uses == "quick" || uses == "hold" {
		return "test", true
	}
	return scheduler.Route(uses)
}

// dray is a running Dray: its gateway's URL, a token per role, the project's Freight by alias.
type dray struct {
	// bus is a connection of the test's own, for writing state by hand.
	bus     *bus.Bus
	base    string
	tokens  map[string]string
	freight map[string]string
	// stopGateway stops the gateway (the other services run on).
	stopGateway func()
}

// pipelineYAML is the shop project: Warehouse app, Freight v1 and v2, and dev → staging →
// prod, where staging's step holds until aborted.
const pipelineYAML = `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata: {name: shop}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: app, namespace: shop}
spec:
  subscriptions:
  - image: {repoURL: ghcr.io/example/app}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Freight
metadata: {name: v1, namespace: shop}
alias: v1
origin: {kind: Warehouse, name: app}
images: [{repoURL: ghcr.io/example/app, tag: "1.0.0"}]
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Freight
metadata: {name: v2, namespace: shop}
alias: v2
origin: {kind: Warehouse, name: app}
images: [{repoURL: ghcr.io/example/app, tag: "1.1.0"}]
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: dev, namespace: shop}
spec:
  requestedFreight: [{origin: {kind: Warehouse, name: app}, sources: {direct: true}}]
  promotionTemplate: {spec: {steps: [{uses: quick, as: deploy}]}}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: staging, namespace: shop}
spec:
  requestedFreight: [{origin: {kind: Warehouse, name: app}, sources: {stages: [dev]}}]
  promotionTemplate: {spec: {steps: [{uses: hold, as: rollout}]}}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: prod, namespace: shop}
spec:
  requestedFreight: [{origin: {kind: Warehouse, name: app}, sources: {stages: [staging]}}]
  promotionTemplate: {spec: {steps: [{uses: quick, as: deploy}]}}
`

// startDray runs the services the UI needs on an embedded NATS and applies the shop
// project through the API.
func startDray(t testing.TB) *dray {
	t.Helper()
	return startDrayWith(t, gateway.Options{}, pipelineYAML)
}

// startDrayWith is startDray with gateway options and the project's manifests.
func startDrayWith(t testing.TB, opts gateway.Options, manifests string) *dray {
	t.Helper()
	ns := bustest.Start(t)
	b := ns.Connect(t)
	start := func(name string, run func(context.Context, service.Deps) error) (stop func()) {
		nc, err := nats.Connect(ns.ClientURL(), nats.Name("ui-test-"+name))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		sb, err := bus.New(ctx, nc, bus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			d := service.Deps{Log: slog.New(slog.DiscardHandler), Bus: sb, Metrics: prometheus.NewRegistry()}
			if err := run(ctx, d); err != nil && ctx.Err() == nil {
				t.Errorf("%s stopped: %v", name, err)
			}
		})
		var once sync.Once
		stop = func() { once.Do(func() { cancel(); wg.Wait(); nc.Close() }) }
		t.Cleanup(stop)
		return stop
	}
	start("state", func(ctx context.Context, d service.Deps) error { return state.Run(ctx, state.Options{}, d) })
	start("scheduler", func(ctx context.Context, d service.Deps) error {
		return scheduler.Run(ctx, scheduler.Options{Route: route}, d)
	})
	start("executor-test", func(ctx context.Context, d service.Deps) error {
		reg, err := steps.NewRegistry(quickStep{}, holdStep{})
		if err != nil {
			return err
		}
		return executor.Run(ctx, executor.Options{CacheDir: t.TempDir()}, executor.Deps{Name: "test", Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: reg})
	})
	ready := make(chan string, 1)
	stopGateway := start("gateway", func(ctx context.Context, d service.Deps) error {
		opts.Addr, opts.Ready, opts.Route = "127.0.0.1:0", ready, route
		return gateway.Run(ctx, opts, d)
	})
	var addr string
	select {
	case addr = <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not start")
	}
	d := &dray{bus: b, base: "http://" + addr, tokens: map[string]string{}, freight: map[string]string{}, stopGateway: stopGateway}
	store := token.NewStore(b.Tokens)
	for _, tk := range []v1.APIToken{{Name: "admin", SystemAdmin: true}, {Name: "alice", Project: "shop", Role: "admin"}, {Name: "victor", Project: "shop", Role: "viewer"}} {
		text, _, err := store.Create(t.Context(), tk)
		if err != nil {
			t.Fatal(err)
		}
		d.tokens[tk.Name] = text
	}
	for _, text := range d.tokens { // the gateway's token index follows the bucket: wait for it
		deadline := time.Now().Add(20 * time.Second)
		for {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, d.base+"/api/v1/whoami", nil)
			req.Header.Set("Authorization", "Bearer "+text)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a token never reached the gateway: whoami %d", resp.StatusCode)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	d.waitAPI(t, http.MethodPost, "/api/v1/resources", manifests, http.StatusOK)
	var list []v1.Freight
	d.decode(t, "/api/v1/projects/shop/freight", &list)
	for _, f := range list {
		d.freight[f.Alias] = f.Metadata.Name
	}
	if d.freight["v1"] == "" || d.freight["v2"] == "" {
		t.Fatalf("freight of shop: %+v", d.freight)
	}
	return d
}

// api sends a request as the system admin.
func (d *dray) api(t testing.TB, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, d.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+d.tokens["admin"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// waitAPI repeats a request until it answers want (the gateway's token index may lag).
func (d *dray) waitAPI(t testing.TB, method, path, body string, want int) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, data := d.api(t, method, path, body)
		if code == want {
			return data
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: %d %s, want %d", method, path, code, data, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *dray) decode(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(d.waitAPI(t, http.MethodGet, path, "", http.StatusOK), v); err != nil {
		t.Fatal(err)
	}
}

// tab opens a browser context of its own (own cookies), for at most a minute.
func tab(t testing.TB) context.Context {
	t.Helper()
	return tabFor(t, time.Minute)
}

// tabFor is tab open for at most d.
func tabFor(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancelT := context.WithTimeout(ctx, d)
	t.Cleanup(cancelT)
	return ctx
}

// shot saves a screenshot of the page as name.png.
func shot(t testing.TB, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		dir := os.Getenv("DRAY_UI_SCREENSHOTS")
		if dir == "" {
			dir = t.TempDir()
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		p := filepath.Join(dir, name+".png")
		t.Logf("screenshot %s", p)
		return os.WriteFile(p, png, 0o644)
	})
}

// text reads the text of the element sel selects.
func text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// eval evaluates a JavaScript expression that gives a boolean.
func eval(t testing.TB, ctx context.Context, expr string) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// signIn opens path, is sent to the login page, types the token and lands on path.
func signIn(t testing.TB, ctx context.Context, d *dray, tok, path string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(d.base+path),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		shot(t, "login"),
		chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS("header form.user")), // signed in: the login page has none
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(url, path) {
		t.Fatalf("after signing in the browser is at %s, want %s", url, path)
	}
}

// do runs browser steps and fails the test, saying what it was doing, when one fails.
func do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		_ = chromedp.Do(context.WithoutCancel(ctx), shot(t, "failed-"+strings.ReplaceAll(what, " ", "-")))
		t.Fatalf("%s: %v", what, err)
	}
}

// setFlag marks the page; the mark survives only if the page is not reloaded.
const setFlag = `window.drayNoReload = true`

// TestPromoteThroughPreviewAndApprove: a project admin signs in, opens the graph, picks a
// Freight for dev, sees the preview, promotes, and watches dev's card reach Succeeded and
// hold the Freight without reloading; then approves a Freight for prod and sees it live.
func TestPromoteThroughPreviewAndApprove(t *testing.T) {
	d := startDray(t)
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop")
	do(t, ctx, "open the graph",
		chromedp.WaitVisible(chromedp.CSS("#stage-prod")),
		chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`)),
		shot(t, "pipeline"))
	eval(t, ctx, setFlag)
	do(t, ctx, "preview a promotion",
		chromedp.Click(chromedp.CSS(`#stage-dev button[hx-get$="/promote"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="freight"]`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`dialog input[value=%q]`, d.freight["v2"]))),
		chromedp.WaitVisible(chromedp.CSS(`#preview table.diff`)),
		shot(t, "promote-preview"))
	preview := text(t, ctx, "#preview")
	for _, want := range []string{"ghcr.io/example/app", "1.1.0", "deploy"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q: %s", want, preview)
		}
	}
	do(t, ctx, "promote and watch",
		chromedp.Click(chromedp.CSS(`dialog button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#stage-dev a[data-phase="Succeeded"]`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.querySelector("#stage-dev .freight").textContent.includes("v2")`,
				chromedp.WithPollingTimeout(20*time.Second))(ctx, tg)
			return err
		}),
		shot(t, "promoted"))
	if !eval(t, ctx, `window.drayNoReload === true`) {
		t.Error("the page reloaded: the card should have been updated in place")
	}
	if card := text(t, ctx, "#stage-dev"); !strings.Contains(card, "Verified") {
		t.Errorf("dev's card after the promotion: %q, want v2 Verified", card)
	}

	do(t, ctx, "open v1",
		chromedp.Navigate(d.base+"/projects/shop/freight/"+d.freight["v1"]),
		chromedp.WaitVisible(chromedp.CSS(`#approve-stage`)))
	eval(t, ctx, setFlag)
	do(t, ctx, "approve v1 for prod",
		chromedp.SetValue(chromedp.CSS(`#approve-stage`), "prod"),
		chromedp.Click(chromedp.CSS(`#approve-stage ~ button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#freight-detail .badge.approved`)),
		shot(t, "approved"))
	if approved := text(t, ctx, "#freight-detail"); !strings.Contains(approved, "prod") || !eval(t, ctx, `window.drayNoReload === true`) {
		t.Errorf("after approving v1 for prod the detail shows %q, or the page reloaded", approved)
	}
	do(t, ctx, "open the timeline",
		chromedp.Navigate(d.base+"/projects/shop/freight"),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)),
		shot(t, "freight-timeline"))
}

// TestAbortAndForbidden: an admin aborts a running Promotion from its page and sees it end
// Aborted live; a viewer's pause is refused with the verb and a role named, and a page it
// may not open explains why.
func TestAbortAndForbidden(t *testing.T) {
	d := startDray(t)
	d.waitAPI(t, http.MethodPost, "/api/v1/projects/shop/promotions", `{"stage":"dev","freight":"v2"}`, http.StatusAccepted)
	deadline := time.Now().Add(30 * time.Second)
	var name string
	for name == "" {
		var f v1.Freight
		d.decode(t, "/api/v1/projects/shop/freight/"+d.freight["v2"], &f)
		if _, ok := f.Status.VerifiedIn["dev"]; ok {
			var resp v1.PromoteResponse
			if err := json.Unmarshal(d.waitAPI(t, http.MethodPost, "/api/v1/projects/shop/promotions", `{"stage":"staging","freight":"v2"}`, http.StatusAccepted), &resp); err != nil {
				t.Fatal(err)
			}
			name = resp.Promotion
		}
		if time.Now().After(deadline) {
			t.Fatal("v2 was never verified in dev")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop/promotions/"+name)
	do(t, ctx, "watch the promotion run",
		chromedp.WaitVisible(chromedp.CSS(`#phase[data-phase="Running"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#steps td .badge.running`)),
		shot(t, "promotion-running"))
	eval(t, ctx, `(window.confirm = () => true, true)`) // hx-confirm asks; the test answers yes
	do(t, ctx, "abort",
		chromedp.Click(chromedp.CSS(`#steps button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`#phase[data-phase="Aborted"]`)),
		shot(t, "promotion-aborted"))
	if steps := text(t, ctx, "#steps"); !strings.Contains(steps, "rollout") {
		t.Errorf("steps of the aborted Promotion: %q, want the rollout step", steps)
	}

	viewer := tab(t)
	signIn(t, viewer, d, d.tokens["victor"], "/projects/shop")
	do(t, viewer, "pause as a viewer",
		chromedp.Click(chromedp.CSS(`#stage-dev button[hx-post$="/pause"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#flash .msg.bad`)),
		shot(t, "forbidden-action"))
	if flash := text(t, viewer, "#flash .msg.bad"); !strings.Contains(flash, "Not allowed") || !strings.Contains(flash, "update") || !strings.Contains(flash, "role") {
		t.Errorf("viewer's pause refused with %q, want the verb and a role named", flash)
	}
	do(t, viewer, "open a dialog the viewer may not",
		chromedp.Navigate(d.base+"/projects/shop/stages/prod/promote"),
		chromedp.WaitVisible(chromedp.CSS(`main .error`)),
		shot(t, "forbidden-page"))
	if refused := text(t, viewer, "main"); !strings.Contains(refused, "You may not do this") || !strings.Contains(refused, "promote") {
		t.Errorf("viewer opening prod's promote dialog: %q, want the refusal explained", refused)
	}
}
