package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/services/gateway"
)

// poll waits until the JavaScript expression is true.
func poll(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))(ctx, tg)
		return err
	})
}

// TestKeyboardPromote: with the keyboard alone, a user tabs to dev's Promote… control,
// opens it with Enter, picks a Freight with Space (its preview shows), tabs to Promote and
// presses Enter; dev's card shows the Promotion succeed.
func TestKeyboardPromote(t *testing.T) {
	d := startDray(t)
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop")
	do(t, ctx, "open the graph", chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`)))
	promote := `#stage-dev button[hx-get$="/promote"]`
	tabTo := func(sel string) int {
		t.Helper()
		for n := 1; n <= 60; n++ {
			do(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
			if eval(t, ctx, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel)) {
				return n
			}
		}
		t.Fatalf("60 presses of Tab never reached %s; focus is on %s", sel, text(t, ctx, ":focus"))
		return 0
	}
	n := tabTo(promote)
	t.Logf("dev's Promote… is %d presses of Tab from the top", n)
	do(t, ctx, "open the promote dialog with Enter",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="freight"]`)),
		shot(t, "keyboard-dialog"))
	if !eval(t, ctx, `document.activeElement.matches('dialog[open] input[name="freight"]')`) {
		t.Fatal("the dialog did not take the focus to its first Freight")
	}
	do(t, ctx, "choose the focused Freight with Space",
		chromedp.KeyEvent(" "),
		chromedp.WaitVisible(chromedp.CSS(`#preview table.diff`)))
	tabTo(`dialog button[type="submit"]`)
	do(t, ctx, "promote with Enter",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#stage-dev a[data-phase="Succeeded"]`)),
		shot(t, "keyboard-promoted"))
}

// TestDragFreightOntoStage: dragging a Freight of the strip onto dev's card (a native HTML5
// drag in Chromium) opens dev's promote dialog with that Freight chosen and its preview
// shown, as Promote… does; confirming promotes it.
func TestDragFreightOntoStage(t *testing.T) {
	d := startDray(t)
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop")
	chip := fmt.Sprintf(`#strip a[data-freight=%q]`, d.freight["v1"])
	do(t, ctx, "see the strip",
		chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(chip)),
		shot(t, "pipeline-strip"))
	do(t, ctx, "drag v1 onto dev",
		chromedp.DragAndDrop(chromedp.CSS(chip), chromedp.CSS(`#stage-dev`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] #preview table.diff`)),
		shot(t, "drag-dialog"))
	if !eval(t, ctx, fmt.Sprintf(`document.querySelector('dialog input[name="freight"]:checked').value === %q`, d.freight["v1"])) {
		t.Fatal("the dialog opened by the drop does not have v1 chosen")
	}
	if preview := text(t, ctx, "#preview"); !strings.Contains(preview, "1.0.0") {
		t.Errorf("preview of the dropped v1: %q", preview)
	}
	do(t, ctx, "confirm",
		chromedp.Click(chromedp.CSS(`dialog button[type="submit"]`)),
		poll(`(document.querySelector("#stage-dev .freight") || {textContent: ""}).textContent.includes("v1")`),
		chromedp.WaitVisible(chromedp.CSS(`#stage-dev a[data-phase="Succeeded"]`)))
}

// TestCollapseAndNamesOnly: collapsing dev hides staging and prod (its toggle says how
// many), names only draws every Stage small, and the toggles bring them back.
func TestCollapseAndNamesOnly(t *testing.T) {
	d := startDray(t)
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop")
	do(t, ctx, "collapse dev",
		chromedp.Click(chromedp.CSS(`a.toggle[data-toggle="dev"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.toggle[data-toggle="dev"][aria-expanded="false"]`)),
		shot(t, "pipeline-collapsed"))
	if eval(t, ctx, `document.querySelector("#stage-staging, #stage-prod") !== null`) {
		t.Error("staging or prod is still drawn with dev collapsed")
	}
	if toggle := text(t, ctx, `a.toggle[data-toggle="dev"]`); toggle != "+2" {
		t.Errorf("dev's toggle reads %q, want +2", toggle)
	}
	do(t, ctx, "names only",
		chromedp.Click(chromedp.CSS(`#expand-all`)),
		chromedp.WaitVisible(chromedp.CSS(`#stage-prod`)),
		chromedp.Click(chromedp.CSS(`#compact-toggle`)),
		chromedp.WaitVisible(chromedp.CSS(`#stage-prod.compact`)),
		shot(t, "pipeline-names-only"))
	if h := text(t, ctx, `#stage-prod h2`); !strings.Contains(h, "prod") {
		t.Errorf("compact prod reads %q", h)
	}
}

// TestFreightHistoryCompareReject: after v2 reaches dev, its page shows the history (dev,
// through which Promotion), compares it with v1 (the image tag changed), and rejects it for
// prod and takes that back, each live; the timeline marks it rejected.
func TestFreightHistoryCompareReject(t *testing.T) {
	d := startDray(t)
	var resp v1.PromoteResponse
	if err := json.Unmarshal(d.waitAPI(t, http.MethodPost, "/api/v1/projects/shop/promotions", `{"stage":"dev","freight":"v2"}`, http.StatusAccepted), &resp); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop/freight/"+d.freight["v2"])
	do(t, ctx, "see v2's history",
		chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-what="received"][data-stage="dev"]`)))
	if h := text(t, ctx, `tr[data-what="received"][data-stage="dev"]`); !strings.Contains(h, resp.Promotion) {
		t.Errorf("v2's history row for dev: %q, want the Promotion %s", h, resp.Promotion)
	}
	do(t, ctx, "compare with v1",
		chromedp.SetValue(chromedp.CSS(`#compare`), d.freight["v1"]),
		chromedp.Click(chromedp.CSS(`#compare ~ button`)),
		chromedp.WaitVisible(chromedp.CSS(`table.compare`)),
		shot(t, "freight-compare"))
	if diff := text(t, ctx, `table.compare tr.changed`); !strings.Contains(diff, "1.0.0") || !strings.Contains(diff, "1.1.0") {
		t.Errorf("comparison of v1 and v2: %q, want the tag change", diff)
	}
	eval(t, ctx, setFlag)
	eval(t, ctx, `(window.confirm = () => true, true)`)
	do(t, ctx, "reject v2 for prod",
		chromedp.SetValue(chromedp.CSS(`#reject-stage`), "prod"),
		chromedp.SendKeys(chromedp.CSS(`#reject-reason`), "CVE-2026-1"),
		chromedp.Click(chromedp.CSS(`#reject-reason ~ button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-what="rejected"][data-stage="prod"]`)),
		shot(t, "freight-rejected"))
	if r := text(t, ctx, `.rejection`); !strings.Contains(r, "prod") || !strings.Contains(r, "CVE-2026-1") {
		t.Errorf("rejection shown as %q", r)
	}
	do(t, ctx, "unreject",
		chromedp.Click(chromedp.CSS(`.rejection button`)),
		poll(`document.querySelector(".rejection") === null`))
	if !eval(t, ctx, `window.drayNoReload === true`) {
		t.Error("the page reloaded: the detail should update in place")
	}
	var f v1.Freight
	d.decode(t, "/api/v1/projects/shop/freight/"+d.freight["v2"], &f)
	if len(f.Status.RejectedFor) != 0 || f.Status.Rejected != nil {
		t.Errorf("after unreject v2 is still rejected: %+v", f.Status)
	}
}

// TestPromotionLinks: a Promotion's page links the commit git-push pushed (on GitHub, from
// the repository git-clone cloned into the pushed path), the pull request git-open-pr
// opened and the Argo CD Application argocd-update synced (into --argocd-url), and marks a
// rollback. The Promotion is written as the state service would record it.
func TestPromotionLinks(t *testing.T) {
	d := startDrayWith(t, gateway.Options{ArgoCDURL: "https://cd.example.com"}, pipelineYAML)
	now := time.Now()
	sha := "4f2d1c0b9a8e7d6c5b4a39281706f5e4d3c2b1a0"
	p := v1.Promotion{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindPromotion},
		Metadata: v1.ObjectMeta{Name: "prod.links", Namespace: "shop", Annotations: map[string]string{v1.AnnotationRollback: "true"}},
		Spec:     v1.PromotionSpec{Stage: "prod", Freight: d.freight["v2"]},
		Status: v1.PromotionStatus{Phase: v1.PhaseSucceeded, StartedAt: &now, FinishedAt: &now, Rollback: true,
			StepExecutionMetadata: []v1.StepExecutionMetadata{
				{Alias: "clone", Uses: "git-clone", Status: v1.StepSucceeded, Attempts: 1,
					Config: map[string]any{"repoURL": "https://github.com/acme/shop-config.git", "checkout": []any{map[string]any{"branch": "main", "path": "./out"}}}},
				{Alias: "push", Uses: "git-push", Status: v1.StepSucceeded, Attempts: 1, Config: map[string]any{"path": "./out"}},
				{Alias: "pr", Uses: "git-open-pr", Status: v1.StepSucceeded, Attempts: 1},
				{Alias: "sync", Uses: "argocd-update", Status: v1.StepSucceeded, Attempts: 1},
			},
			State: map[string]map[string]any{
				"push": {"commit": sha, "branch": "main"},
				"pr":   {"pr": map[string]any{"id": 12, "url": "https://github.com/acme/shop-config/pull/12"}},
				"sync": {"apps": []any{map[string]any{"name": "shop-prod", "namespace": "argocd"}}},
			}}}
	data, _ := json.Marshal(p)
	if _, err := d.bus.Promotions.Put(t.Context(), bus.Key("shop", "prod.links"), data); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop/promotions/prod.links")
	do(t, ctx, "see the links", chromedp.WaitVisible(chromedp.CSS(`#steps ul.links a`)), shot(t, "promotion-links"))
	hrefs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#steps ul.links a")].map(a => a.href)`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://github.com/acme/shop-config/commit/" + sha, "https://github.com/acme/shop-config/pull/12", "https://cd.example.com/applications/argocd/shop-prod"}
	if strings.Join(hrefs, " ") != strings.Join(want, " ") {
		t.Errorf("links %v, want %v", hrefs, want)
	}
	if h := text(t, ctx, "h1"); !strings.Contains(h, "rollback") {
		t.Errorf("heading %q does not mark the rollback", h)
	}
}

// TestTimelineAndWindow: the timeline shows 50 Freight a page with the Warehouse filter kept
// when paging, and marks rejected Freight; prod's card shows its closed promotion window.
func TestTimelineAndWindow(t *testing.T) {
	start, end := time.Now().UTC().Add(-time.Hour), time.Now().UTC().Add(3*time.Hour)
	extra := fmt.Sprintf(`---
apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata: {name: shop, namespace: shop}
spec:
  promotionWindows:
  - name: release-freeze
    stageSelector: {name: prod}
    kind: Deny
    dtstart: TZID=UTC:%s
    dtend: TZID=UTC:%s
`, start.Format("20060102T150405"), end.Format("20060102T150405"))
	for i := 3; i <= 60; i++ {
		extra += fmt.Sprintf(`---
apiVersion: kargo.akuity.io/v1alpha1
kind: Freight
metadata: {name: v%d, namespace: shop}
alias: v%d
origin: {kind: Warehouse, name: app}
images: [{repoURL: ghcr.io/example/app, tag: "1.%d.0"}]
`, i, i, i)
	}
	d := startDrayWith(t, gateway.Options{}, pipelineYAML+extra)
	d.waitAPI(t, http.MethodPost, "/api/v1/projects/shop/freight/v1/reject", `{"reason":"CVE-2026-2"}`, http.StatusAccepted)
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop")
	do(t, ctx, "see prod's window", chromedp.WaitVisible(chromedp.CSS(`#stage-prod .badge.window.closed`)), shot(t, "pipeline-window-closed"))
	if w := text(t, ctx, `#stage-prod .badge.window`); !strings.Contains(w, "opens in 3h") {
		t.Errorf("prod's window badge reads %q", w)
	}
	do(t, ctx, "page the timeline",
		chromedp.Navigate(d.base+"/projects/shop/freight?warehouse=app"),
		chromedp.WaitVisible(chromedp.CSS(`#page-of`)),
		chromedp.Click(chromedp.CSS(`a[rel="next"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[rel="prev"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.rejected`)),
		shot(t, "freight-timeline-page-2"))
	if p := text(t, ctx, "#page-of"); !strings.Contains(p, "51–60 of 60") {
		t.Errorf("page 2 says %q", p)
	}
	if sel := eval(t, ctx, `document.querySelector("#warehouse").value === "app" && location.search.includes("warehouse=app")`); !sel {
		t.Error("paging lost the Warehouse filter")
	}
	if r := text(t, ctx, "tr.rejected"); !strings.Contains(r, "v1") || !strings.Contains(r, "rejected") {
		t.Errorf("rejected row reads %q", r)
	}
}

// TestCollapseLayerAndFind: collapsing staging's layer draws it as one node; Find a Stage
// offers the Stages that layer or a collapsed subtree hides, and following the offer
// expands what hides it and highlights the Stage.
func TestCollapseLayerAndFind(t *testing.T) {
	d := startDray(t)
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop")
	do(t, ctx, "collapse layer 2",
		chromedp.Click(chromedp.CSS(`a.layer-toggle[data-layer="2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#layer-2`)),
		shot(t, "pipeline-layer-collapsed"))
	if eval(t, ctx, `document.querySelector("#stage-staging") !== null`) {
		t.Error("staging is still drawn with its layer collapsed")
	}
	if h := text(t, ctx, `#layer-2 h2`); !strings.Contains(h, "1 Stage") || strings.Contains(h, "1 Stages") {
		t.Errorf("layer 2's node reads %q", h)
	}
	do(t, ctx, "find staging",
		chromedp.SendKeys(chromedp.CSS("#search"), "stag"),
		chromedp.WaitVisible(chromedp.CSS(`#hidden-matches a`)),
		shot(t, "pipeline-find-hidden"),
		chromedp.Click(chromedp.CSS(`#hidden-matches a`)),
		chromedp.WaitVisible(chromedp.CSS(`#stage-staging.match`)))
	if eval(t, ctx, `document.querySelector("#layer-2") !== null || !location.search.includes("find=staging")`) {
		t.Errorf("after Show staging: layer 2 still collapsed or the address lost the search")
	}
	do(t, ctx, "find prod under collapsed dev",
		chromedp.Click(chromedp.CSS(`a.toggle[data-toggle="dev"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.toggle[data-toggle="dev"][aria-expanded="false"]`)),
		chromedp.SendKeys(chromedp.CSS("#search"), "prod"),
		chromedp.WaitVisible(chromedp.CSS(`#hidden-matches a`)),
		chromedp.Click(chromedp.CSS(`#hidden-matches a`)),
		chromedp.WaitVisible(chromedp.CSS(`#stage-prod.match`)),
		shot(t, "pipeline-found"))
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#search"))); v != "prod" {
		t.Errorf("the search box reads %q after finding prod", v)
	}
}
