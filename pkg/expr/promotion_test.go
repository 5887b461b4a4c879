package expr_test

import (
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

// promotionStep is one step of promotion20: its alias, if and config as decoded from YAML.
type promotionStep struct {
	as     string
	ifExpr string
	config map[string]any
}

// promotion20 is a realistic 20-step promotion: clone, update values with the Freight's
// images and chart, render, commit with the update's message, push, open and wait for a pull
// request, sync Argo CD, and notify an HTTP API, with if conditions on earlier statuses.
func promotion20() []promotionStep {
	return []promotionStep{
		{as: "clone", config: map[string]any{
			"repoURL": "${{ vars.gitRepo }}",
			"checkout": []any{
				map[string]any{"commit": "${{ commitFrom(vars.gitRepo).ID }}", "path": "./src"},
				map[string]any{"branch": "stage/${{ ctx.stage }}", "create": true, "path": "./out"},
			},
		}},
		{as: "clear", config: map[string]any{"path": "./out"}},
		{as: "update", config: map[string]any{
			"path": "./src/env/${{ ctx.stage }}/values.yaml",
			"updates": []any{
				map[string]any{"key": "api.image.tag", "value": "${{ imageFrom(vars.imageRepo).Tag }}"},
				map[string]any{"key": "api.image.digest", "value": "${{ imageFrom(vars.imageRepo).Digest }}"},
				map[string]any{"key": "worker.image.tag", "value": "${{ quote(imageFrom('ghcr.io/acme/worker').Tag) }}"},
				map[string]any{"key": "sidecar.image.tag", "value": "${{ imageFrom('ghcr.io/acme/sidecar', warehouse('platform')).Tag }}"},
				map[string]any{"key": "chart.version", "value": "${{ chartFrom('oci://ghcr.io/acme/charts/api').Version }}"},
				map[string]any{"key": "replicas", "value": "${{ vars.replicas }}"},
			},
		}},
		{as: "set-image", config: map[string]any{
			"path": "./src/env/${{ ctx.stage }}",
			"images": []any{
				map[string]any{"image": "${{ vars.imageRepo }}", "tag": "${{ imageFrom(vars.imageRepo).Tag }}"},
				map[string]any{"image": "ghcr.io/acme/worker", "digest": "${{ imageFrom('ghcr.io/acme/worker').Digest }}"},
			},
		}},
		{as: "render", config: map[string]any{"path": "./src/env/${{ ctx.stage }}", "outPath": "./out/manifests.yaml"}},
		{as: "copy-readme", config: map[string]any{"inPath": "./src/README.md", "outPath": "./out/README.md"}},
		{as: "write-info", config: map[string]any{
			"path":     "./out/promotion.yaml",
			"contents": "${{ asYAML({'promotion': ctx.promotion, 'freight': ctx.targetFreight.name, 'actor': ctx.meta.promotion.actor}) }}",
		}},
		{as: "commit", config: map[string]any{
			"path":    "./out",
			"message": "${{ outputs.update.commitMessage }}\n\nPromotion: ${{ ctx.promotion }}\nFreight: ${{ ctx.targetFreight.name }}",
			"author":  map[string]any{"name": "Dray", "email": "dray@${{ vars.domain }}"},
		}},
		{as: "push", config: map[string]any{"path": "./out", "targetBranch": "stage/${{ ctx.stage }}-pr"}},
		{as: "open-pr", ifExpr: "${{ success() && vars.openPR }}", config: map[string]any{
			"repoURL":      "${{ vars.gitRepo }}",
			"sourceBranch": "${{ outputs.push.branch }}",
			"targetBranch": "stage/${{ ctx.stage }}",
			"title":        "Promote ${{ ctx.targetFreight.alias }} to ${{ ctx.stage }}",
			"labels":       []any{"dray", "${{ ctx.stage }}"},
		}},
		{as: "wait-pr", ifExpr: "${{ status('open-pr') == 'Succeeded' }}", config: map[string]any{
			"repoURL":  "${{ vars.gitRepo }}",
			"prNumber": "${{ outputs['open-pr'].pr.id }}",
		}},
		{as: "sync", config: map[string]any{
			"apps": []any{map[string]any{
				"name":      "${{ ctx.project }}-${{ ctx.stage }}",
				"namespace": "argocd",
				"sources": []any{map[string]any{
					"repoURL":         "${{ vars.gitRepo }}",
					"desiredRevision": "${{ outputs['wait-pr'].commit ?? outputs.commit.commit }}",
				}},
			}},
		}},
		{as: "announce", config: map[string]any{
			"url":    "${{ vars.apiBase }}/deployments",
			"method": "POST",
			"headers": []any{
				map[string]any{"name": "Content-Type", "value": "application/json"},
				map[string]any{"name": "X-Stage", "value": "${{ ctx.stage }}"},
			},
			"body":              "${{ toJSON({'stage': ctx.stage, 'tag': imageFrom(vars.imageRepo).Tag, 'commit': outputs.commit.commit}) }}",
			"successExpression": "response.status == ${{ vars.expectedStatus }}",
			"outputs":           []any{map[string]any{"name": "id", "fromExpression": "response.body.id"}},
		}},
		{as: "wait-deploy", ifExpr: "${{ status('announce') == 'Succeeded' }}", config: map[string]any{
			"url":               "${{ vars.apiBase }}/deployments/${{ outputs.announce.id }}",
			"successExpression": "response.body.state == '${{ vars.expectedState }}'",
			"failureExpression": "response.body.state == 'failed'",
		}},
		{as: "tag", config: map[string]any{"path": "./out", "tag": "${{ ctx.stage }}-${{ semverParse(imageFrom(vars.imageRepo).Tag).String() }}"}},
		{as: "push-tag", config: map[string]any{"path": "./out", "tag": "${{ outputs.tag.tag }}"}},
		{as: "metadata", config: map[string]any{
			"updates": []any{map[string]any{
				"kind":   "Freight",
				"name":   "${{ ctx.targetFreight.name }}",
				"values": map[string]any{"deployedTo": "${{ ctx.stage }}", "change": "${{ semverDiff(vars.previousTag, imageFrom(vars.imageRepo).Tag) }}"},
			}},
		}},
		{as: "notify", ifExpr: "${{ always() }}", config: map[string]any{
			"url":    "${{ vars.slackURL }}",
			"method": "POST",
			"body":   "${{ quote(ctx.stage + ' ' + (success() ? 'promoted ' : 'failed ') + imageFrom(vars.imageRepo).Tag) }}",
		}},
		{as: "on-failure", ifExpr: "${{ failure() }}", config: map[string]any{
			"url":  "${{ vars.pagerURL }}",
			"body": "${{ toJSON({'promotion': ctx.promotion, 'failed': status('sync')}) }}",
		}},
		{as: "cleanup", ifExpr: "${{ always() }}", config: map[string]any{"path": "./out"}},
	}
}

// promotion20Envs returns the Env of each step of promotion20: the same ctx, vars and Freight,
// and the outputs of the steps before it.
func promotion20Envs(steps []promotionStep) []*expr.Env {
	ctx := map[string]any{
		"project":       "acme",
		"stage":         "prod",
		"promotion":     "prod.01jqz5y7k2d3m4n5p6q7r8s9t0.abc1234",
		"targetFreight": map[string]any{"name": "f00d", "alias": "brave-otter", "origin": map[string]any{"name": "api"}},
		"meta":          map[string]any{"promotion": map[string]any{"actor": "alice@example.com"}, "step": map[string]any{"alias": ""}},
	}
	vars := map[string]any{
		"gitRepo": "https://github.com/acme/deploy.git", "imageRepo": "ghcr.io/acme/api", "replicas": 3.0,
		"domain": "acme.dev", "openPR": true, "apiBase": "https://deploy.acme.dev/api", "expectedStatus": 201.0,
		"expectedState": "done", "previousTag": "v1.4.2", "slackURL": "https://hooks.slack.test/x", "pagerURL": "https://pager.test/x",
	}
	freight := []v1.Freight{
		{
			Origin:  v1.FreightOrigin{Kind: "Warehouse", Name: "api"},
			Images:  []v1.Image{{RepoURL: "ghcr.io/acme/api", Tag: "v1.5.0", Digest: "sha256:aa"}, {RepoURL: "ghcr.io/acme/worker", Tag: "v1.5.0", Digest: "sha256:bb"}},
			Commits: []v1.GitCommit{{RepoURL: "https://github.com/acme/deploy", ID: "c0ffee"}},
			Charts:  []v1.Chart{{RepoURL: "oci://ghcr.io/acme/charts/api", Version: "1.5.0"}},
		},
		{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "platform"},
			Images: []v1.Image{{RepoURL: "ghcr.io/acme/sidecar", Tag: "2.0.1"}},
		},
	}
	outputs := map[string]map[string]any{
		"update":   {"commitMessage": "Update api to v1.5.0\n\n- api.image.tag: v1.5.0"},
		"commit":   {"commit": "1234567890abcdef"},
		"push":     {"branch": "stage/prod-pr", "commit": "1234567890abcdef"},
		"open-pr":  {"pr": map[string]any{"id": 42.0, "url": "https://github.com/acme/deploy/pull/42"}},
		"wait-pr":  {"commit": "fedcba0987654321"},
		"announce": {"id": "dep-7"},
		"tag":      {"tag": "prod-1.5.0"},
	}
	envs := make([]*expr.Env, len(steps))
	for i, step := range steps {
		stepCtx := make(map[string]any, len(ctx))
		for k, v := range ctx {
			stepCtx[k] = v
		}
		stepCtx["meta"] = map[string]any{"promotion": map[string]any{"actor": "alice@example.com"}, "step": map[string]any{"alias": step.as}}
		done := map[string]any{}
		statuses := map[string]string{}
		for _, earlier := range steps[:i] {
			if out, ok := outputs[earlier.as]; ok {
				done[earlier.as] = out
			}
			statuses[earlier.as] = "Succeeded"
		}
		envs[i] = &expr.Env{
			Ctx: stepCtx, Vars: vars, Outputs: done, Freight: freight,
			Status: func(alias string) string { return statuses[alias] },
		}
	}
	return envs
}

// renderPromotion20 evaluates every step's if and renders its config, as the scheduler does.
func renderPromotion20(tb testing.TB, e *expr.Evaluator, steps []promotionStep, envs []*expr.Env) {
	for i, step := range steps {
		if step.ifExpr != "" {
			if _, err := e.Template(step.ifExpr, envs[i]); err != nil {
				tb.Fatalf("step %q: if: %v", step.as, err)
			}
		}
		if _, err := e.Render("config", step.config, envs[i]); err != nil {
			tb.Fatalf("step %q: %v", step.as, err)
		}
	}
}

// TestRenderCompilesOnce checks that rendering compiles each expression once: a second
// rendering of the same promotion, with other environments, compiles nothing.
func TestRenderCompilesOnce(t *testing.T) {
	e := expr.New()
	steps := promotion20()
	envs := promotion20Envs(steps)
	renderPromotion20(t, e, steps, envs)
	first := e.Compiles()
	if first == 0 {
		t.Fatal("Compiles() = 0 after rendering, want the expressions counted")
	}
	renderPromotion20(t, e, steps, promotion20Envs(steps))
	if got := e.Compiles(); got != first {
		t.Errorf("Compiles() after a second rendering = %d, want %d (no recompilation)", got, first)
	}
	// A new expression is compiled once.
	for range 2 {
		if _, err := e.Render("config", map[string]any{"new": "${{ ctx.stage + '!' }}"}, envs[0]); err != nil {
			t.Fatalf("Render error: %v", err)
		}
	}
	if got := e.Compiles(); got != first+1 {
		t.Errorf("Compiles() after a new expression = %d, want %d", got, first+1)
	}
}

// TestPromotion20 checks a few rendered values of the benchmark's promotion, so the benchmark
// measures real work.
func TestPromotion20(t *testing.T) {
	e := expr.New()
	steps := promotion20()
	envs := promotion20Envs(steps)
	checks := []struct {
		step int
		path func(any) any
		want any
	}{
		{2, func(c any) any { return c.(map[string]any)["updates"].([]any)[0].(map[string]any)["value"] }, "v1.5.0"},
		{2, func(c any) any { return c.(map[string]any)["updates"].([]any)[3].(map[string]any)["value"] }, "2.0.1"},
		{7, func(c any) any { return c.(map[string]any)["message"] }, "Update api to v1.5.0\n\n- api.image.tag: v1.5.0\n\nPromotion: prod.01jqz5y7k2d3m4n5p6q7r8s9t0.abc1234\nFreight: f00d"},
		{10, func(c any) any { return c.(map[string]any)["prNumber"] }, 42.0},
		{14, func(c any) any { return c.(map[string]any)["tag"] }, "prod-1.5.0"},
		{16, func(c any) any {
			return c.(map[string]any)["updates"].([]any)[0].(map[string]any)["values"].(map[string]any)["change"]
		}, "Minor"},
	}
	for _, c := range checks {
		got, err := e.Render("config", steps[c.step].config, envs[c.step])
		if err != nil {
			t.Fatalf("step %q: %v", steps[c.step].as, err)
		}
		if v := c.path(got); v != c.want {
			t.Errorf("step %q: got %#v, want %#v", steps[c.step].as, v, c.want)
		}
	}
}

// BenchmarkRender20Steps renders the if and config of every step of a 20-step promotion with
// a warm program cache: the cost the scheduler pays per promotion, expressions compiled.
func BenchmarkRender20Steps(b *testing.B) {
	e := expr.New()
	steps := promotion20()
	envs := promotion20Envs(steps)
	renderPromotion20(b, e, steps, envs) // warm the cache
	b.ReportAllocs()
	for b.Loop() {
		renderPromotion20(b, e, steps, envs)
	}
}
