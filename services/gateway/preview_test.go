package gateway_test

import (
	"html"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drayhq/dray/pkg/gittest"
)

// TestStandalonePreviewShowsDiff: a gateway started as dray-gateway starts it (Run with no
// PreviewSteps, on a real NATS, reaching a real Git server) runs the promote preview's steps
// as dray run --diff does and shows the diff git-push would push; the remote does not move.
func TestStandalonePreviewShowsDiff(t *testing.T) {
	git := gittest.NewServer(t)
	repo := git.Repo(t, "shop-config", map[string]string{"env/dev/values.yaml": "image:\n  tag: 1.0.0\nreplicas: 1\n"})
	before := git.Head(t, "shop-config", "main")
	base, _, tok := startGateway(t)
	manifests := `apiVersion: kargo.akuity.io/v1alpha1
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
  promotionTemplate:
    spec:
      steps:
      - {uses: git-clone, as: clone, config: {repoURL: ` + repo + `, checkout: [{branch: main, path: ./src}]}}
      - uses: yaml-update
        as: update
        config:
          path: ./src/env/dev/values.yaml
          updates: [{key: image.tag, value: "${{ imageFrom('ghcr.io/example/app').Tag }}"}]
      - {uses: git-commit, as: commit, config: {path: ./src, message: "${{ outputs.update.commitMessage }}"}}
      - {uses: git-push, as: push, config: {path: ./src}}
`
	applyUntilOK(t, base, tok, manifests)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/projects/shop/stages/dev/preview?freight=v2", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("HX-Request", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := html.UnescapeString(string(raw))
	for _, want := range []string{"Diff git-push would push", `--- step "push" would push`, "diff --git a/env/dev/values.yaml", "-  tag: 1.0.0", "+  tag: 1.1.0"} {
		if !strings.Contains(body, want) {
			t.Errorf("standalone gateway's preview lacks %q: %d\n%s", want, resp.StatusCode, body)
		}
	}
	if after := git.Head(t, "shop-config", "main"); after != before {
		t.Errorf("the preview moved the remote branch to %s, was %s", after, before)
	}
}

// applyUntilOK applies manifests as tok, retrying while the gateway's token index catches up.
func applyUntilOK(t *testing.T, base, tok, manifests string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v1/resources", strings.NewReader(manifests))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		if resp.StatusCode != http.StatusUnauthorized || time.Now().After(deadline) {
			t.Fatalf("apply: %d %s", resp.StatusCode, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
