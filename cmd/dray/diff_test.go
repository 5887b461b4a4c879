package main

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/gittest"
)

// TestRunDiff: dray run --diff prints the diff git-push would push, pushes nothing, and skips
// steps that would act outside the machine.
func TestRunDiff(t *testing.T) {
	git := gittest.NewServer(t)
	const values = "image:\n  tag: v1.0.0\nreplicas: 1\n"
	repo := git.Repo(t, "shop-config", map[string]string{"values.yaml": values})
	before := git.Log(t, "shop-config", "main")
	tmpl := strings.Replace(stage, "REPO", repo, 1) +
		"      - uses: argocd-update\n        as: sync\n        config: {apps: [{name: web}]}\n" +
		"      - uses: compose-output\n        as: report\n        config: {pushed: \"${{ outputs.push.commit }}\", branch: \"${{ outputs.push.branch }}\"}\n"

	out, err := dray(t, "", append(runFiles(t, map[string]string{"stage.yaml": tmpl}), "--diff")...)
	if err != nil {
		t.Fatalf("dray run --diff: %v\n%s", err, out)
	}
	for _, want := range []string{
		`(?m)^push\s+git-push\s+Succeeded\s+.*not pushed`,
		`(?m)^sync\s+argocd-update\s+Skipped\s+.*not run`,
		`(?m)^report\s+compose-output\s+Succeeded\s+\S+\s+\{"branch":"main","pushed":"[0-9a-f]{40}"\}`,
		`(?m)^--- step "push" would push [0-9a-f]{12}\.\.[0-9a-f]{12} to branch main of ` + regexp.QuoteMeta(repo) + `$`,
		`(?m)^diff --git a/values.yaml b/values.yaml$`,
		`(?m)^-  tag: v1.0.0$`,
		`(?m)^\+  tag: v2.0.1$`,
		`(?m)^ replicas: 1$`,
		`(?m)^Phase: Succeeded$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("dray run --diff output does not match %s:\n%s", want, out)
		}
	}
	if after := git.Log(t, "shop-config", "main"); len(after) != len(before) || after[0] != before[0] {
		t.Errorf("dray run --diff moved the remote branch: %v, was %v", after, before)
	}
	if got := git.ReadFile(t, "shop-config", "main", "values.yaml"); got != values {
		t.Errorf("after dray run --diff the remote values.yaml = %q, want it unchanged", got)
	}
}

// TestRunDiffCreatesNoBranch: with --diff, git-clone's create does not push a new branch.
func TestRunDiffCreatesNoBranch(t *testing.T) {
	git := gittest.NewServer(t)
	repo := git.Repo(t, "shop-config", map[string]string{"values.yaml": "image:\n  tag: v1.0.0\n"})
	tmpl := "steps:\n- uses: git-clone\n  as: clone\n  config:\n    repoURL: " + repo +
		"\n    checkout: [{branch: env/dev, create: true, path: ./out}]\n"
	out, err := dray(t, "", append(runFiles(t, map[string]string{"template.yaml": tmpl}), "--diff")...)
	if err == nil || !strings.Contains(out, "create was ignored") {
		t.Errorf("dray run --diff of a clone that creates a branch = %v, want it to fail saying create was ignored:\n%s", err, out)
	}
	if head := git.Head(t, "shop-config", "env/dev"); head != "" {
		t.Errorf("dray run --diff created branch env/dev at %s", head)
	}
}

// TestRunDiffSkipsHTTPWithoutSecrets: --diff does not call an http step, and what it prints
// in its place hides the values that came from secrets.
func TestRunDiffSkipsHTTPWithoutSecrets(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	t.Cleanup(srv.Close)
	template := `steps:
- uses: http
  as: notify
  config:
    method: POST
    url: ` + srv.URL + `
    headers: [{name: Authorization, value: "Bearer ${{ secret('hook').token }}"}]
`
	resources := "apiVersion: v1\nkind: Secret\nmetadata: {name: hook, namespace: shop}\nstringData: {token: tok-789}\n"
	out, err := dray(t, "", append(runFiles(t, map[string]string{"template.yaml": template, "secret.yaml": resources}), "--diff")...)
	if err != nil {
		t.Fatalf("dray run --diff: %v\n%s", err, out)
	}
	if called {
		t.Error("--diff made the http call")
	}
	if strings.Contains(out, "tok-789") || !strings.Contains(out, "[redacted]") {
		t.Errorf("--diff output shows the secret, or no redaction:\n%s", out)
	}
	// Without --diff the call is made: dray run has the http executor's steps, with its
	// sandbox: the server is on loopback, refused until --http-allowed-hosts names it.
	files := runFiles(t, map[string]string{"template.yaml": template, "secret.yaml": resources})
	if out, err := dray(t, "", files...); err == nil || called || !strings.Contains(out, "--http-allowed-hosts") {
		t.Errorf("dray run of an http step to loopback without an allowlist: called=%v, %v\n%s", called, err, out)
	}
	files = runFiles(t, map[string]string{"template.yaml": template, "secret.yaml": resources})
	host := strings.TrimPrefix(srv.URL, "http://")
	if out, err := dray(t, "", append(files, "--http-allowed-hosts", "shop="+host)...); err != nil || !called {
		t.Errorf("dray run of an http step: called=%v, %v\n%s", called, err, out)
	}
}
