package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/token"
	"github.com/drayhq/dray/services/gateway"
)

// Size of the benchmark's project: 50 chains of 4 Stages from one Warehouse, and 2,000
// Freight.
const (
	benchChains  = 50
	benchTiers   = 4
	benchFreight = 2000
)

func benchStage(chain, tier int) string { return fmt.Sprintf("s%02d-t%d", chain, tier) }

// startBig runs NATS and a gateway with the big project stored, and signs a tab in.
func startBig(b *testing.B) (base, tok string, ctx context.Context, bb *bus.Bus) {
	b.Helper()
	ns := bustest.Start(b)
	bb = ns.Connect(b)
	ctxRun, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d := service.Deps{Log: slog.New(slog.DiscardHandler), Bus: bb, Metrics: prometheus.NewRegistry()}
		_ = gateway.Run(ctxRun, gateway.Options{Addr: "127.0.0.1:0", Ready: ready}, d)
	}()
	b.Cleanup(func() { cancel(); <-done })
	base = "http://" + <-ready
	tok, _, err := token.NewStore(bb.Tokens).Create(b.Context(), v1.APIToken{Name: "bench", SystemAdmin: true})
	if err != nil {
		b.Fatal(err)
	}
	put := func(kv interface {
		Put(context.Context, string, []byte) (uint64, error)
	}, key string, v any) {
		data, _ := json.Marshal(v)
		if _, err := kv.Put(b.Context(), key, data); err != nil {
			b.Fatal(err)
		}
	}
	const project = "big"
	meta := func(kind, name string) (v1.TypeMeta, v1.ObjectMeta) {
		return v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: kind}, v1.ObjectMeta{Name: name, Namespace: project}
	}
	tm, om := meta(v1.KindProject, project)
	om.Namespace = ""
	put(bb.Resources, bus.ResourceKey("", v1.KindProject, project), v1.Project{TypeMeta: tm, Metadata: om})
	tm, om = meta(v1.KindWarehouse, "app")
	put(bb.Resources, bus.ResourceKey(project, v1.KindWarehouse, "app"), v1.Warehouse{TypeMeta: tm, Metadata: om,
		Spec: v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{{Image: &v1.ImageSubscription{RepoURL: "ghcr.io/example/app"}}}}})
	origin := v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
	start := time.Now().Add(-benchFreight * time.Minute)
	for i := range benchFreight {
		at := start.Add(time.Duration(i) * time.Minute)
		name := fmt.Sprintf("f%04d", i)
		tm, om := meta(v1.KindFreight, name)
		put(bb.Freight, bus.Key(project, name), v1.Freight{TypeMeta: tm, Metadata: om, Alias: fmt.Sprintf("v1.%d", i), Origin: origin, DiscoveredAt: &at,
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: fmt.Sprintf("1.%d.0", i)}}})
	}
	for c := range benchChains {
		for t := range benchTiers {
			req := v1.FreightRequest{Origin: origin, Sources: v1.FreightSources{Direct: t == 0}}
			if t > 0 {
				req.Sources.Stages = []string{benchStage(c, t-1)}
			}
			tm, om := meta(v1.KindStage, benchStage(c, t))
			put(bb.Resources, bus.ResourceKey(project, v1.KindStage, benchStage(c, t)), v1.Stage{TypeMeta: tm, Metadata: om,
				Spec: v1.StageSpec{RequestedFreight: []v1.FreightRequest{req},
					PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{{Uses: "compose-output"}}}}}})
			f := fmt.Sprintf("f%04d", benchFreight-1-t)
			put(bb.Stages, bus.Key(project, benchStage(c, t)), v1.StageStatus{
				FreightHistory: []v1.StageHistoryEntry{{Freight: f, Alias: "v1." + f[1:], Origin: origin, Promotion: "p"}},
				LastPromotion:  &v1.PromotionReference{Name: "p", Freight: f, Phase: v1.PhaseSucceeded}})
		}
	}
	for deadline := time.Now().Add(20 * time.Second); ; { // the gateway's token index follows the bucket
		req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, base+"/api/v1/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the token never reached the gateway: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx = tab(b)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login"), chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Submit(chromedp.CSS("#token")), chromedp.WaitVisible(chromedp.CSS("header form.user"))); err != nil {
		b.Fatal(err)
	}
	return base, tok, ctx, bb
}

// BenchmarkPipelinePage200Stages measures the pipeline page of a project of 200 Stages and
// 2,000 Freight: the gateway's time to first byte, the time until headless Chromium shows
// the last Stage's card, and the page's weight (HTML; the CSS and scripts are cached).
func BenchmarkPipelinePage200Stages(b *testing.B) {
	base, tok, ctx, _ := startBig(b)
	last := "#stage-" + benchStage(benchChains-1, benchTiers-1)
	var ttfb, render []time.Duration
	size := 0
	for b.Loop() {
		req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, base+"/projects/big", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		var sent, first time.Time
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			WroteRequest:         func(httptrace.WroteRequestInfo) { sent = time.Now() },
			GotFirstResponseByte: func() { first = time.Now() },
		}))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("pipeline page: %d", resp.StatusCode)
		}
		ttfb, size = append(ttfb, first.Sub(sent)), int(n)
		t0 := time.Now()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/projects/big"), chromedp.WaitVisible(chromedp.CSS(last))); err != nil {
			b.Fatal(err)
		}
		render = append(render, time.Since(t0))
	}
	if err := chromedp.Do(ctx, shot(b, "pipeline-200-stages"), chromedp.SendKeys(chromedp.CSS("#search"), "s37-t2"), shot(b, "pipeline-200-stages-search"),
		chromedp.Navigate(base+"/projects/big?compact=1"), chromedp.WaitVisible(chromedp.CSS(last+".compact")), shot(b, "pipeline-200-stages-names-only"),
		chromedp.Navigate(base+"/projects/big?compact=1&collapse="+benchStage(0, 0)+","+benchStage(1, 0)), chromedp.WaitVisible(chromedp.CSS(last)),
		shot(b, "pipeline-200-stages-collapsed"),
		chromedp.Navigate(base+"/projects/big?layers=2,3"), chromedp.WaitVisible(chromedp.CSS("#layer-3")), shot(b, "pipeline-200-stages-layers-collapsed")); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(ms(pct(ttfb, 50)), "ttfb-p50-ms")
	b.ReportMetric(ms(pct(render, 50)), "render-p50-ms")
	b.ReportMetric(ms(pct(render, 95)), "render-p95-ms")
	b.ReportMetric(float64(size)/1024, "page-KiB")
}

// ttfb GETs path as tok and returns the gateway's time to first byte and the body's size.
func ttfb(b *testing.B, base, tok, path string) (time.Duration, int) {
	b.Helper()
	req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	var sent, first time.Time
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest:         func(httptrace.WroteRequestInfo) { sent = time.Now() },
		GotFirstResponseByte: func() { first = time.Now() },
	}))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d", path, resp.StatusCode)
	}
	return first.Sub(sent), int(n)
}

// BenchmarkFreightPages2000 measures the Freight pages of a project with 2,000 Freight: the
// gateway's time to first byte of the timeline's first page, and of a Freight's page (its
// history and the Freight offered to compare with), and their weight.
func BenchmarkFreightPages2000(b *testing.B) {
	base, tok, _, _ := startBig(b)
	var timeline, detail []time.Duration
	var timelineSize, detailSize int
	for b.Loop() {
		d, n := ttfb(b, base, tok, "/projects/big/freight")
		timeline, timelineSize = append(timeline, d), n
		d, n = ttfb(b, base, tok, "/projects/big/freight/f1000")
		detail, detailSize = append(detail, d), n
	}
	b.ReportMetric(ms(pct(timeline, 50)), "timeline-ttfb-p50-ms")
	b.ReportMetric(ms(pct(timeline, 95)), "timeline-ttfb-p95-ms")
	b.ReportMetric(ms(pct(detail, 50)), "freight-ttfb-p50-ms")
	b.ReportMetric(ms(pct(detail, 95)), "freight-ttfb-p95-ms")
	b.ReportMetric(float64(timelineSize)/1024, "timeline-KiB")
	b.ReportMetric(float64(detailSize)/1024, "freight-KiB")
}

// BenchmarkEventToDOM measures how long a change takes to show on an open pipeline page:
// from the write of a Stage's status (as the state service records a finished Promotion) to
// the card in the browser naming the new Promotion. One change is in flight at a time.
func BenchmarkEventToDOM(b *testing.B) {
	base, _, ctx, bb := startBig(b)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/projects/big"), chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`))); err != nil {
		b.Fatal(err)
	}
	origin := v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		stage := benchStage(i%benchChains, i%benchTiers)
		name := fmt.Sprintf("bench-%d", i)
		i++
		data, _ := json.Marshal(v1.StageStatus{
			FreightHistory: []v1.StageHistoryEntry{{Freight: "f0000", Alias: "v1.0", Origin: origin, Promotion: name}},
			LastPromotion:  &v1.PromotionReference{Name: name, Freight: "f0000", Phase: v1.PhaseSucceeded}})
		t0 := time.Now()
		if _, err := bb.Stages.Put(b.Context(), bus.Key("big", stage), data); err != nil {
			b.Fatal(err)
		}
		expr := fmt.Sprintf(`document.querySelector('#stage-%s a[href$="/%s"]') !== null`, stage, name)
		if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(10*time.Second))(ctx, t)
			return err
		})); err != nil {
			b.Fatalf("change %s never showed: %v", name, err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.ReportMetric(ms(pct(lat, 50)), "p50-ms")
	b.ReportMetric(ms(pct(lat, 95)), "p95-ms")
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// loadStages is how many Stages the load of BenchmarkEventToDOMUnderLoad promotes to, in
// turn, each from the Warehouse directly.
const loadStages = 10

// promotionsPerMinute is the load BenchmarkEventToDOMUnderLoad runs.
const promotionsPerMinute = 50

// BenchmarkEventToDOMUnderLoad measures, on an open pipeline page, how long after its
// publication a promotion.succeeded event shows: each iteration starts one real Promotion
// (state service, scheduler and executor running), paced at 50 a minute across 10 Stages,
// and the page records when the event reached it and when the Stage's card shows the
// Promotion Succeeded; the latency is that moment minus the event's time (both clocks are
// this machine's). An iteration takes 1.2 s: run it with -benchtime 60x for a minute.
func BenchmarkEventToDOMUnderLoad(b *testing.B) {
	manifests := pipelineYAML[:strings.Index(pipelineYAML, "---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Stage")]
	for i := range loadStages {
		manifests += fmt.Sprintf(`---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: s%d, namespace: shop}
spec:
  requestedFreight: [{origin: {kind: Warehouse, name: app}, sources: {direct: true}}]
  promotionTemplate: {spec: {steps: [{uses: quick, as: deploy}]}}
`, i)
	}
	d := startDrayWith(b, gateway.Options{}, manifests)
	// the tab lasts the whole run: make bench's 200 iterations take four minutes
	ctx := tabFor(b, 10*time.Minute)
	signIn(b, ctx, d, d.tokens["admin"], "/projects/shop")
	do(b, ctx, "open the graph", chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`)))
	// The page notes when each promotion.succeeded event arrives (its publication time) and
	// when a card first shows each Promotion Succeeded.
	eval(b, ctx, `(() => {
	  window.benchEv = {}; window.benchDom = {};
	  document.addEventListener("dray:event", e => {
	    const ev = e.detail;
	    if (ev.type === "promotion.succeeded" && ev.promotion && !(ev.promotion in benchEv)) { benchEv[ev.promotion] = ev.time; }
	  });
	  new MutationObserver(() => {
	    const now = performance.timeOrigin + performance.now();
	    document.querySelectorAll('.node a[data-phase="Succeeded"]').forEach(a => {
	      const n = a.getAttribute("href").split("/").pop();
	      if (!(n in benchDom)) { benchDom[n] = now; }
	    });
	  }).observe(document.body, { subtree: true, childList: true });
	  return true;
	})()`)
	interval := time.Minute / promotionsPerMinute
	var names []string
	start := time.Now()
	i := 0
	for b.Loop() {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		body := fmt.Sprintf(`{"stage":"s%d","freight":"v%d"}`, i%loadStages, (i/loadStages)%2+1)
		i++
		code, data := d.api(b, http.MethodPost, "/api/v1/projects/shop/promotions", body)
		var resp v1.PromoteResponse
		if code != http.StatusAccepted || json.Unmarshal(data, &resp) != nil {
			b.Fatalf("promote %s: %d %s", body, code, data)
		}
		names = append(names, resp.Promotion)
	}
	rate := float64(len(names)) / time.Since(start).Minutes()
	b.StopTimer()
	var ev, dom map[string]float64
	for deadline := time.Now().Add(60 * time.Second); ; {
		var err error
		if ev, err = chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`window.benchEv`)); err != nil {
			b.Fatal(err)
		}
		if dom, err = chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`window.benchDom`)); err != nil {
			b.Fatal(err)
		}
		missing := slices.DeleteFunc(slices.Clone(names), func(n string) bool { _, e := ev[n]; _, d := dom[n]; return e && d })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d Promotions never showed Succeeded with their event: %v", len(missing), len(names), missing[:min(5, len(missing))])
		}
		time.Sleep(200 * time.Millisecond)
	}
	lat := make([]time.Duration, 0, len(names))
	for _, n := range names {
		lat = append(lat, time.Duration((dom[n]-ev[n])*float64(time.Millisecond)))
	}
	do(b, ctx, "screenshot", shot(b, "pipeline-under-load"))
	b.ReportMetric(ms(pct(lat, 50)), "p50-ms")
	b.ReportMetric(ms(pct(lat, 95)), "p95-ms")
	b.ReportMetric(ms(slices.Min(lat)), "min-ms")
	b.ReportMetric(ms(slices.Max(lat)), "max-ms")
	b.ReportMetric(rate, "promotions/min")
}
