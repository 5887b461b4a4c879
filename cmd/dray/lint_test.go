package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lintStage is a Stage in project shop whose template is steps.
func lintStage(steps string) string {
	return `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: dev, namespace: shop}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
` + steps
}

func TestLint(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     []string // lines printed, in order
		wantErr  string
	}{
		{
			name:     "clean",
			manifest: lintStage("      - {uses: git-commit, as: commit, config: {path: ./out, message: release}}\n      - {uses: git-push, config: {path: ./out, targetBranch: \"${{ outputs.commit.commit }}\"}}\n"),
			want:     []string{"no problems found"},
		},
		{
			name:     "errors",
			manifest: lintStage("      - {uses: git-push, config: {path: ./out, targetBranch: \"${{ outputs.commit.commit }}\"}}\n      - {uses: nope}\n"),
			want: []string{
				`error: {dir}/stage.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].config.targetBranch: step "step-1": outputs.commit: no earlier step has alias "commit"`,
				`error: {dir}/stage.yaml: Stage/dev: spec.promotionTemplate.spec.steps[1].uses: step "step-2": unknown step kind "nope": neither a built-in step nor a CustomPromotionStep in the input`,
			},
			wantErr: "2 errors, 0 warnings",
		},
		{
			name:     "warnings only",
			manifest: lintStage("      - {task: {name: elsewhere}}\n"),
			want: []string{
				`warning: {dir}/stage.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].task: step "task-1": PromotionTask "elsewhere" is not in the input: it must exist on the server in project "shop"`,
				"no errors, 1 warning",
			},
		},
		{
			name:     "manifest that does not decode",
			manifest: lintStage("      - {uses: fail, as: x}\n      - {uses: fail, as: x}\n"),
			want:     []string{`error: {dir}/stage.yaml: Stage/dev: spec.promotionTemplate.spec.steps[1].as: "x" is also the alias of steps[0]`},
			wantErr:  "1 error, 0 warnings",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "stage.yaml"), []byte(tt.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			root := newRoot()
			root.SetArgs([]string{"lint", "-f", dir})
			root.SetOut(&out)
			root.SetErr(&out)
			err := root.ExecuteContext(t.Context())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("dray lint: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("dray lint error = %v, want %q", err, tt.wantErr)
			}
			want := strings.ReplaceAll(strings.Join(tt.want, "\n")+"\n", "{dir}", dir)
			if got := out.String(); got != want {
				t.Errorf("dray lint printed:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestLintNeedsFiles(t *testing.T) {
	root := newRoot()
	root.SetArgs([]string{"lint"})
	root.SetOut(new(bytes.Buffer))
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "-f") {
		t.Errorf("dray lint without -f: error = %v, want one asking for -f", err)
	}
}
