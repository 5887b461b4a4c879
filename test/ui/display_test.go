package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// colorScheme makes the tab's system setting prefer light or dark colours.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

// luminance is the relative luminance (0 black … 1 white) of the computed CSS colour prop of
// the element sel selects.
func luminance(t *testing.T, ctx context.Context, sel, prop string) float64 {
	t.Helper()
	c, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`getComputedStyle(document.querySelector(%q)).%s`, sel, prop)))
	if err != nil {
		t.Fatal(err)
	}
	var r, g, b float64
	if _, err := fmt.Sscanf(strings.ReplaceAll(c, " ", ""), "rgb(%g,%g,%g)", &r, &g, &b); err != nil {
		t.Fatalf("%s's %s is %q: %v", sel, prop, c, err)
	}
	return (0.2126*r + 0.7152*g + 0.0722*b) / 255
}

// TestColorSchemeFollowsSystem: the pages are light when the system prefers light and dark
// when it prefers dark, with text that reads on either (see the screenshots).
func TestColorSchemeFollowsSystem(t *testing.T) {
	d := startDray(t)
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop")
	do(t, ctx, "see the pipeline", chromedp.WaitVisible(chromedp.CSS("#stage-prod")))
	for _, scheme := range []string{"light", "dark"} {
		do(t, ctx, "prefer "+scheme, colorScheme(scheme), shot(t, "pipeline-"+scheme))
		bg, fg := luminance(t, ctx, "body", "backgroundColor"), luminance(t, ctx, "body", "color")
		card := luminance(t, ctx, "#stage-dev", "backgroundColor")
		if dark := scheme == "dark"; dark != (bg < 0.2) || dark != (card < 0.2) || dark == (fg < 0.5) {
			t.Errorf("%s: page background %.2f, card %.2f, text %.2f: not a %s page", scheme, bg, card, fg, scheme)
		}
		do(t, ctx, "open the Freight page in "+scheme, chromedp.Navigate(d.base+"/projects/shop/freight"), chromedp.WaitVisible(chromedp.CSS("main h1")),
			shot(t, "freight-"+scheme), chromedp.Navigate(d.base+"/projects/shop"), chromedp.WaitVisible(chromedp.CSS("#stage-prod")))
	}
}

// TestGatewayUnreachable: when the gateway goes away under an open page, the header says
// reconnecting… and an action says the gateway cannot be reached.
func TestGatewayUnreachable(t *testing.T) {
	d := startDray(t)
	ctx := tab(t)
	signIn(t, ctx, d, d.tokens["alice"], "/projects/shop")
	do(t, ctx, "see the page live", chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`)))
	d.stopGateway()
	do(t, ctx, "see the page lose the gateway",
		poll(`document.getElementById("live").textContent === "reconnecting…"`),
		chromedp.Click(chromedp.CSS(`section.warehouse button`)),
		chromedp.WaitVisible(chromedp.CSS(`#flash .msg.bad`)),
		shot(t, "gateway-unreachable"))
	if msg := text(t, ctx, "#flash .msg.bad"); !strings.Contains(msg, "The gateway cannot be reached") {
		t.Errorf("an action with the gateway gone says %q, want that the gateway cannot be reached", msg)
	}
}
