package ui_test

import (
	"html"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	executorconfig "github.com/drayhq/dray/services/executor-config"
	executorgit "github.com/drayhq/dray/services/executor-git"
	"github.com/drayhq/dray/services/gateway"
)

// TestPreviewShowsDiff: with the executors' steps (as dray up gives them), the promote
// preview runs the Stage's steps as dray run --diff does and shows the diff git-push would
// push; the remote does not move.
func TestPreviewShowsDiff(t *testing.T) {
	git := gittest.NewServer(t)
	const values = "image:\n  tag: 1.0.0\nreplicas: 1\n"
	repo := git.Repo(t, "shop-config", map[string]string{"env/dev/values.yaml": values})
	before := git.Log(t, "shop-config", "main")
	stage := `---
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
	manifests := pipelineYAML[:strings.Index(pipelineYAML, "---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Stage")] + stage
	d := startDrayWith(t, gateway.Options{PreviewSteps: func(d service.Deps) ([]*steps.Registry, error) {
		g, err := executorgit.StepsWith(nil, d.Secrets)
		if err != nil {
			return nil, err
		}
		c, err := executorconfig.StepsWith(nil, d.Secrets)
		return []*steps.Registry{g, c}, err
	}}, manifests)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, d.base+"/projects/shop/stages/dev/preview?freight=v2", nil)
	req.Header.Set("Authorization", "Bearer "+d.tokens["alice"])
	req.Header.Set("HX-Request", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := html.UnescapeString(string(raw))
	for _, want := range []string{"Diff git-push would push", `--- step "push" would push`, "diff --git a/env/dev/values.yaml", "-  tag: 1.0.0", "+  tag: 1.1.0", " replicas: 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q: %d\n%s", want, resp.StatusCode, body)
		}
	}
	if after := git.Log(t, "shop-config", "main"); len(after) != len(before) || after[0] != before[0] {
		t.Errorf("the preview moved the remote branch: %v, was %v", after, before)
	}
}
