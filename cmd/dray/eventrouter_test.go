package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drayhq/dray/cmd/dray/allinone"
	"github.com/drayhq/dray/pkg/executor"
)

const eventRouterManifests = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: prod, namespace: shop}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
      - {uses: fail, as: smoke, config: {message: smoke tests failed}}
---
apiVersion: v1
kind: Secret
metadata: {name: ops-hook, namespace: shop}
stringData: {url: HOOK}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: MessageChannel
metadata: {name: ops-hook, namespace: shop}
spec: {secretRef: {name: ops-hook}, webhook: {}}
`

const eventRouterManifest = `apiVersion: ee.kargo.akuity.io/v1alpha1
kind: EventRouter
metadata: {name: prod-failures, namespace: shop}
spec:
  types: [PromotionFailed, PromotionErrored]
  when: "event.stageName == 'prod'"
  channels:
  - {name: ops-hook, kind: MessageChannel}
  output: "${{ event.promotion }} failed in ${{ event.stage }}: ${{ event.message }}"
`

// TestCLIEventRouter: against dray up, where every service has only its own NATS
// permissions, an EventRouter naming a missing channel is refused naming the field; applied
// with its channel it shows in dray get eventrouters, and a Promotion that fails in prod is
// posted to the webhook once.
func TestCLIEventRouter(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", NATSPort: -1,
		Log:              slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executor:         executor.Options{CacheDir: t.TempDir()},
		HTTPAllowedHosts: map[string][]string{"shop": {"127.0.0.1"}},
	})
	if err != nil {
		t.Fatalf("dray up: %v", err)
	}
	t.Cleanup(in.Stop)
	adminTokens.Store(in.URL, in.AdminToken)
	server := in.URL

	out, err := dray(t, server, "apply", "-f", writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web, "router.yaml": eventRouterManifest}))
	if err == nil || !strings.Contains(err.Error(), `EventRouter/prod-failures: spec.channels[0].name: MessageChannel "ops-hook" does not exist`) {
		t.Fatalf("apply of a router without its channel = %v\n%s\nwant a refusal naming EventRouter/prod-failures spec.channels[0].name", err, out)
	}
	dir := writeManifests(t, map[string]string{
		"project.yaml": project, "web.yaml": web, "freight.yaml": freight, "router.yaml": eventRouterManifest,
		"prod.yaml": strings.Replace(eventRouterManifests, "HOOK", hook.URL+"/hook", 1),
	})
	if out, err := dray(t, server, "apply", "-f", dir); err != nil || !strings.Contains(out, "EventRouter/prod-failures created") {
		t.Fatalf("dray apply: %v\n%s", err, out)
	}
	out, err = dray(t, server, "get", "eventrouters")
	if err != nil || !regexp.MustCompile(`prod-failures\s+PromotionFailed,PromotionErrored\s+MessageChannel/ops-hook\s+event.stageName == 'prod'`).MatchString(out) {
		t.Errorf("dray get eventrouters = %q, %v", out, err)
	}

	out, err = dray(t, server, "promote", "--stage", "prod", "--freight", "quiet-lynx", "--wait")
	name := regexp.MustCompile(`promotion (prod\.[0-9a-z]+\.[0-9a-f]{7}) requested`).FindStringSubmatch(out)
	if name == nil {
		t.Fatalf("dray promote: %v\n%s", err, out)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook received nothing")
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || !strings.HasPrefix(bodies[0], name[1]+" failed in prod: ") || !strings.Contains(bodies[0], "smoke tests failed") {
		t.Errorf("webhook bodies %q, want one: %s failed in prod: … smoke tests failed", bodies, name[1])
	}
}
