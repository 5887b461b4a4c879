package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/gittest"
)

// runFiles writes the freight file and, in a directory of their own, the -f files, and
// returns the arguments of dray run for them with a fresh workspace.
func runFiles(t *testing.T, files map[string]string) []string {
	t.Helper()
	fdir := writeManifests(t, map[string]string{"freight.yaml": freight})
	return []string{"run", "-f", writeManifests(t, files), "--freight", filepath.Join(fdir, "freight.yaml"),
		"--dir", filepath.Join(t.TempDir(), "work")}
}

// TestRunPushes runs the four-step template of a Stage against a real Git server: the
// yaml-update gets the tag from the Freight and git-push pushes it.
func TestRunPushes(t *testing.T) {
	git := gittest.NewServer(t)
	repo := git.Repo(t, "shop-config", map[string]string{"values.yaml": "image:\n  tag: v1.0.0 # current\n"})
	out, err := dray(t, "", runFiles(t, map[string]string{"stage.yaml": strings.Replace(stage, "REPO", repo, 1)})...)
	if err != nil {
		t.Fatalf("dray run: %v\n%s", err, out)
	}
	if got := git.ReadFile(t, "shop-config", "main", "values.yaml"); !strings.Contains(got, "tag: v2.0.1") {
		t.Errorf("pushed values.yaml = %q, want tag v2.0.1", got)
	}
	head := git.Log(t, "shop-config", "main")[0]
	for _, want := range []string{
		`(?m)^clone\s+git-clone\s+Succeeded\s+\S+\s+\{"commits":`,
		`(?m)^update\s+yaml-update\s+Succeeded\s+.*"commitMessage"`,
		`(?m)^commit\s+git-commit\s+Succeeded\s+.*` + head,
		`(?m)^push\s+git-push\s+Succeeded\s+.*"commit":"` + head + `"`,
		`(?m)^Phase: Succeeded$`,
		`Stage dev of project shop`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("dray run output does not match %s:\n%s", want, out)
		}
	}
}

// TestRunFails: a promotion that does not succeed makes dray run fail, and its steps say why.
func TestRunFails(t *testing.T) {
	tests := []struct {
		name     string
		template string
		want     []string
	}{
		{
			name:     "fail step",
			template: "steps:\n- uses: compose-output\n  as: before\n  config: {x: 1}\n- uses: fail\n  as: stop\n  config: {message: stop here}\n- uses: compose-output\n  as: after\n  config: {y: 2}\n",
			want: []string{`(?m)^before\s+compose-output\s+Succeeded`, `(?m)^stop\s+fail\s+Failed\s+.*stop here`,
				`(?m)^after\s+compose-output\s+Skipped`, `(?m)^Phase: Failed$`},
		},
		{
			name:     "missing file",
			template: "steps:\n- uses: yaml-update\n  as: update\n  config: {path: values.yaml, updates: [{key: image.tag, value: v2}]}\n",
			want:     []string{`(?m)^update\s+yaml-update\s+Errored\s+.*values.yaml`, `(?m)^Phase: Errored$`},
		},
		{
			name:     "unknown kind",
			template: "steps:\n- uses: argocd-update\n  as: sync\n  config: {apps: [{name: web}]}\n",
			want:     []string{`(?m)^sync\s+argocd-update\s+Errored\s+.*not registered`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := dray(t, "", runFiles(t, map[string]string{"template.yaml": tt.template})...)
			if err == nil {
				t.Fatalf("dray run of a failing template succeeded:\n%s", out)
			}
			for _, want := range tt.want {
				if !regexp.MustCompile(want).MatchString(out) {
					t.Errorf("dray run output does not match %s:\n%s", want, out)
				}
			}
			if regexp.MustCompile(`(?m)^after\s+\S+\s+Succeeded`).MatchString(out) {
				t.Errorf("a step after the failure ran:\n%s", out)
			}
		})
	}
}

const bumpTask = `apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata:
  name: bump
  namespace: shop
spec:
  vars:
  - name: suffix
  steps:
  - uses: compose-output
    as: tag
    config:
      x: "${{ imageFrom('127.0.0.1:1/shop/web').Tag }}-${{ vars.suffix }}"
`

// TestRunTask: a task step runs a PromotionTask from another -f file, and its compose-output
// is outputs.<task> for a later step.
func TestRunTask(t *testing.T) {
	template := `steps:
- task: {name: bump}
  as: bump
  vars: [{name: suffix, value: rc1}]
- uses: compose-output
  as: final
  config: {result: "${{ outputs.bump.x }}"}
`
	args := runFiles(t, map[string]string{"template.yaml": template})
	args = append(args, "-f", writeManifests(t, map[string]string{"task.yaml": bumpTask}))
	out, err := dray(t, "", args...)
	if err != nil {
		t.Fatalf("dray run: %v\n%s", err, out)
	}
	for _, want := range []string{`(?m)^bump::tag\s+compose-output\s+Succeeded`, `(?m)^final\s+compose-output\s+Succeeded\s+.*\{"result":"v2.0.1-rc1"\}`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("dray run output does not match %s:\n%s", want, out)
		}
	}

	out, err = dray(t, "", runFiles(t, map[string]string{"template.yaml": template})...)
	if err == nil || !strings.Contains(err.Error(), `PromotionTask "bump"`) {
		t.Errorf("dray run without the task's file = %v, want an error naming the task\n%s", err, out)
	}
}

// TestRunVars: --var overrides a template variable and adds new ones; the last one wins.
func TestRunVars(t *testing.T) {
	template := `vars:
- {name: greeting, value: hello}
- {name: who, value: world}
steps:
- uses: compose-output
  as: say
  config: {msg: "${{ vars.greeting }} ${{ vars.who }} ${{ vars.extra }}"}
`
	args := append(runFiles(t, map[string]string{"template.yaml": template}),
		"--var", "greeting=bye", "--var", "extra=x=1", "--var", "extra=${{ ctx.stage }}", "--stage", "qa")
	out, err := dray(t, "", args...)
	if err != nil {
		t.Fatalf("dray run: %v\n%s", err, out)
	}
	if !strings.Contains(out, `{"msg":"bye world qa"}`) {
		t.Errorf("dray run --var output lacks the overridden value:\n%s", out)
	}
	if _, err := dray(t, "", append(args, "--var", "novalue")...); err == nil || !strings.Contains(err.Error(), "name=value") {
		t.Errorf("dray run --var novalue = %v, want a usage error", err)
	}
}

// TestRunInputErrors: bad input is reported before anything runs.
func TestRunInputErrors(t *testing.T) {
	t.Run("bad template", func(t *testing.T) {
		args := runFiles(t, map[string]string{"template.yaml": "steps:\n- as: nothing\n"})
		_, err := dray(t, "", args...)
		if err == nil || !strings.Contains(err.Error(), "template.yaml: steps[0]: must set exactly one of uses or task") {
			t.Errorf("dray run of a step without uses = %v, want the file and field named", err)
		}
		if _, statErr := os.Stat(args[len(args)-1]); !os.IsNotExist(statErr) {
			t.Errorf("the workspace was created for a bad template: %v", statErr)
		}
	})
	t.Run("workspace not empty", func(t *testing.T) {
		args := runFiles(t, map[string]string{"template.yaml": "steps:\n- uses: compose-output\n  config: {x: 1}\n"})
		work := args[len(args)-1]
		if err := os.MkdirAll(filepath.Join(work, "left-over"), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := dray(t, "", args...); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Errorf("dray run in a used workspace = %v, want it refused", err)
		}
	})
	t.Run("which stage", func(t *testing.T) {
		other := strings.Replace(strings.Replace(stage, "name: dev", "name: prod", 1), "REPO", "https://example.com/x.git", 1)
		args := runFiles(t, map[string]string{"dev.yaml": strings.Replace(stage, "REPO", "https://example.com/x.git", 1), "prod.yaml": other})
		if _, err := dray(t, "", args...); err == nil || !strings.Contains(err.Error(), "shop/dev, shop/prod") {
			t.Errorf("dray run with two Stages = %v, want them listed", err)
		}
	})
}

// TestRunSecretsAndConfigMaps: Secrets and ConfigMaps among the -f files back secret(),
// configMap() and sharedSecret(); a shared secret that is not generic credentials stays hidden.
func TestRunSecretsAndConfigMaps(t *testing.T) {
	template := `steps:
- uses: compose-output
  as: cm
  config: {env: "${{ configMap('settings').env }}"}
- uses: compose-output
  as: token
  if: "${{ secret('api').token == 'tok-123' }}"
  config: {ok: "yes"}
- uses: compose-output
  as: shared
  if: "${{ sharedSecret('hook').url == 'https://hooks' && len(sharedSecret('gitcred')) == 0 }}"
  config: {ok: "yes"}
- uses: compose-output
  as: leak
  config: {token: "${{ secret('api').token }}"}
`
	resources := `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {env: prod}
---
apiVersion: v1
kind: Secret
metadata: {name: api, namespace: shop}
stringData: {token: tok-123}
---
apiVersion: v1
kind: Secret
metadata:
  name: hook
  namespace: kargo-shared-resources
  labels: {kargo.akuity.io/cred-type: generic}
data: {url: aHR0cHM6Ly9ob29rcw==}
---
apiVersion: v1
kind: Secret
metadata:
  name: gitcred
  namespace: kargo-shared-resources
  labels: {kargo.akuity.io/cred-type: git}
stringData: {password: nope}
`
	args := runFiles(t, map[string]string{"template.yaml": template, "resources.yaml": resources})
	out, err := dray(t, "", args...)
	if err != nil {
		t.Fatalf("dray run: %v\n%s", err, out)
	}
	for _, want := range []string{
		`(?m)^cm\s+compose-output\s+Succeeded.*"env":"prod"`,
		`(?m)^token\s+compose-output\s+Succeeded.*"ok":"yes"`,
		`(?m)^shared\s+compose-output\s+Succeeded.*"ok":"yes"`,
		`(?m)^leak\s+compose-output\s+Succeeded.*"token":"\[redacted\]"`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("dray run output does not match %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "tok-123") {
		t.Errorf("dray run printed a secret value:\n%s", out)
	}
}
