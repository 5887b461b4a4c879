package lint_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/lint"
	"github.com/drayhq/dray/pkg/manifest"
)

// stageHead starts a Stage named dev in project shop; cases append spec fields.
const stageHead = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: dev, namespace: shop}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {direct: true}
`

// steps wraps a list of template steps (indented by six spaces) in a Stage.
func steps(vars, list string) string {
	return stageHead + vars + "  promotionTemplate:\n    spec:\n      steps:\n" + list
}

// prTask is a PromotionTask that needs repo, defaults branch, reads outputs of the Stage's
// clone step and exports commit.
const prTask = `---
apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata: {name: pr, namespace: shop}
spec:
  vars:
  - {name: repo}
  - {name: branch, value: main}
  steps:
  - {uses: git-open-pr, as: open-pr, config: {repoURL: "${{ vars.repo }}", sourceBranch: "${{ outputs.clone.commits['./src'] }}", targetBranch: "${{ vars.branch }}"}}
  - {uses: git-wait-for-pr, as: wait, config: {repoURL: "${{ vars.repo }}", prNumber: "${{ task.outputs['open-pr'].pr.id }}"}}
  - {uses: compose-output, as: out, config: {commit: "${{ task.outputs.wait.commit }}"}}
`

const clone = `      - {uses: git-clone, as: clone, config: {repoURL: "${{ vars.repo }}", checkout: [{path: ./src}]}}
`

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     []string
	}{
		{
			name: "clean template with a task",
			manifest: steps("  vars: [{name: repo, value: https://git.example/cfg.git}]\n",
				clone+
					`      - {task: {name: pr}, as: promo}
      - {uses: yaml-update, if: "${{ success() && status('clone') == 'Succeeded' }}", config: {path: ./src/values.yaml, updates: [{key: image.tag, value: "${{ outputs.promo.commit }}"}]}}
      - {uses: git-commit, vars: [{name: msg, value: "${{ outputs['step-3'].commitMessage }}"}], config: {path: ./src, message: "${{ vars.msg }}"}}
`) + prTask,
		},
		{
			name:     "unknown step kind",
			manifest: steps("", "      - {uses: git-clonee, as: clone}\n"),
			want:     []string{`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].uses: step "clone": unknown step kind "git-clonee": neither a built-in step nor a CustomPromotionStep in the input`},
		},
		{
			name: "custom step defined in the input",
			manifest: steps("", "      - {uses: hello, config: {anything: 1}}\n") + `---
apiVersion: ee.kargo.akuity.io/v1alpha1
kind: CustomPromotionStep
metadata: {name: hello}
spec: {image: alpine, command: [echo]}
`,
		},
		{
			name: "config problems",
			manifest: steps("", `      - {uses: yaml-update, as: up, config: {path: ./v.yaml, updates: [{key: a}], extra: true}}
      - {uses: git-clone, as: c, config: {repoURL: x, insecureSkipTLSVerify: "yes", checkout: [{path: ./a, create: 1}]}}
      - {uses: git-clone, as: d, config: {repoURL: x, checkout: []}}
`),
			want: []string{
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].config.extra: step "up": unknown field: remove it or check its spelling (yaml-update config)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].config.updates[0].value: step "up": required field is missing (yaml-update config)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[1].config.checkout[0].create: step "c": got number, want boolean (git-clone config)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[1].config.insecureSkipTLSVerify: step "c": got string, want boolean (git-clone config)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[2].config.checkout: step "d": minItems: got 0, want 1 (git-clone config)`,
			},
		},
		{
			name: "templated config values may become any type",
			manifest: steps("  vars: [{name: skip, value: \"true\"}, {name: num, value: \"1\"}]\n",
				`      - {uses: git-clone, config: {repoURL: "${{ vars.num }}", insecureSkipTLSVerify: "${{ vars.skip }}", checkout: "${{ [{'path': './a'}] }}"}}
`),
		},
		{
			name: "templated unknown field",
			manifest: steps("  vars: [{name: skip, value: \"true\"}]\n",
				`      - {uses: git-commit, config: {path: ./a, message: m, skip: "${{ vars.skip }}"}}
`),
			want: []string{`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].config.skip: step "step-1": unknown field: remove it or check its spelling (git-commit config)`},
		},
		{
			name: "outputs of unknown, later and hyphenated aliases",
			manifest: steps("", `      - {uses: git-commit, as: commit, config: {path: ./a, message: "${{ outputs.push.commit }} ${{ outputs.nope.x }}"}}
      - {uses: git-push, as: push, config: {path: ./a}}
      - {uses: git-open-pr, as: open-pr, config: {repoURL: x, sourceBranch: "${{ outputs.push.branch }}", targetBranch: main}}
      - {uses: git-wait-for-pr, config: {repoURL: x, prNumber: "${{ outputs.open-pr.pr.id }}"}}
      - {uses: git-wait-for-pr, config: {repoURL: x, prNumber: "${{ outputs['open-pr'].pr.id }}"}}
`),
			want: []string{
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].config.message: step "commit": outputs.push: no earlier step has alias "push"; that step comes later, and a step reads only the outputs of steps before it`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].config.message: step "commit": outputs.nope: no earlier step has alias "nope"`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[3].config.prNumber: step "step-4": outputs.open: no earlier step has alias "open"; an alias with '-' needs brackets: outputs['open-pr']`,
			},
		},
		{
			name: "task outputs",
			manifest: steps("  vars: [{name: repo, value: r}]\n", clone+`      - {task: {name: pr}, as: first}
      - {task: {name: quiet}, as: second, vars: [{name: repo, value: r}]}
      - {uses: fail, config: {message: "${{ outputs.first.commit }} ${{ outputs['first::wait'].commit }} ${{ outputs.second.x }} ${{ task.outputs.clone }} ${{ task == nil }}"}}
`) + prTask + `---
apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata: {name: quiet, namespace: shop}
spec:
  vars: [{name: repo}]
  steps:
  - {uses: git-commit, config: {path: ./a, message: "${{ task.outputs.later.x }} ${{ vars.repo }}"}}
  - {uses: git-push, as: later, config: {path: ./a}}
  - {uses: fail, config: {message: "${{ task.outputs.step-1 }}"}}
`,
			want: []string{
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[3].config.message: step "step-4": outputs.second: PromotionTask "quiet" exports no outputs: only its compose-output steps do, and it has none`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[3].config.message: step "step-4": task.outputs.clone: task is only defined in the steps of a PromotionTask; read outputs.clone instead`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[3].config.message: step "step-4": task is only defined in the steps of a PromotionTask; read outputs.<alias> instead`,
				`error: test.yaml: PromotionTask/quiet: spec.steps[0].config.message: step "step-1": task.outputs.later: no earlier step of this task has alias "later"; that step comes later, and a step reads only the outputs of steps before it`,
				`error: test.yaml: PromotionTask/quiet: spec.steps[2].config.message: step "step-3": task.outputs.step: no earlier step of this task has alias "step"; an alias with '-' needs brackets: task.outputs['step-1']`,
			},
		},
		{
			name: "vars defined and undefined",
			manifest: steps(`  vars:
  - {name: a, value: "${{ vars.b }}"}
  - {name: b, value: "${{ vars.a }}"}
  - {name: c, value: "${{ outputs.x.y }} ${{ success() }}"}
`, `      - {uses: fail, vars: [{name: d, value: "${{ vars.e }}"}, {name: e, value: "${{ vars.d }} ${{ status('x') }}"}], config: {message: "${{ vars.a }}${{ vars.e }}${{ vars.zz }}"}}
      - {uses: fail, config: {message: "${{ vars.d }}"}}
`),
			want: []string{
				`error: test.yaml: Stage/dev: spec.vars[0].value: vars.b: no variable "b" is defined before this point (Stage vars, template vars, task vars or step vars)`,
				`error: test.yaml: Stage/dev: spec.vars[2].value: Stage and template variables cannot read outputs; move this variable to the vars of the steps that use it`,
				`error: test.yaml: Stage/dev: spec.vars[2].value: success() is not available in vars: status functions work only in if and config`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].vars[0].value: step "step-1": vars.e: no variable "e" is defined before this point (Stage vars, template vars, task vars or step vars)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].vars[1].value: step "step-1": status() is not available in vars: status functions work only in if and config`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].config.message: step "step-1": vars.zz: no variable "zz" is defined before this point (Stage vars, template vars, task vars or step vars)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[1].config.message: step "step-2": vars.d: no variable "d" is defined before this point (Stage vars, template vars, task vars or step vars)`,
			},
		},
		{
			name: "template vars see Stage vars",
			manifest: stageHead + `  vars: [{name: repo, value: r}]
  promotionTemplate:
    spec:
      vars: [{name: url, value: "${{ vars.repo }}.git"}]
      steps:
      - {uses: fail, config: {message: "${{ vars.url }}"}}
`,
		},
		{
			name: "task variables without a value",
			manifest: steps("  vars: [{name: branch, value: \"\"}]\n", clone+`      - {task: {name: pr}, as: a}
      - {task: {name: pr}, as: b, vars: [{name: repo, value: ""}]}
      - {task: {name: pr}, as: c, vars: [{name: repo, value: r}]}
`) + prTask,
			want: []string{
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].config.repoURL: step "clone": vars.repo: no variable "repo" is defined before this point (Stage vars, template vars, task vars or step vars)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[1].vars: step "a": missing value for variable "repo" of PromotionTask "pr": set it in this step's vars or as a Stage or template variable (an empty string counts as unset)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[2].vars: step "b": missing value for variable "repo" of PromotionTask "pr": set it in this step's vars or as a Stage or template variable (an empty string counts as unset)`,
			},
		},
		{
			name:     "task variable set by a Stage variable",
			manifest: steps("  vars: [{name: repo, value: r}]\n", clone+"      - {task: {name: pr}}\n") + prTask,
		},
		{
			name: "task not in the input",
			manifest: steps("", `      - {task: {name: elsewhere}, as: t, vars: [{name: x, value: "${{ vars.anything }}"}]}
      - {task: {name: global, kind: ClusterPromotionTask}}
      - {uses: fail, config: {message: "${{ outputs.t.x }} ${{ outputs['t::inner'].y }} ${{ outputs['task-2'].z }}"}}
`),
			want: []string{
				`warning: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].task: step "t": PromotionTask "elsewhere" is not in the input: it must exist on the server in project "shop"`,
				`warning: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[1].task: step "task-2": ClusterPromotionTask "global" is not in the input: it must exist on the server`,
			},
		},
		{
			name: "ClusterPromotionTask in the input",
			manifest: steps("", "      - {task: {name: global, kind: ClusterPromotionTask}, as: g}\n      - {uses: fail, config: {message: \"${{ outputs.g.done }}\"}}\n") + `---
apiVersion: kargo.akuity.io/v1alpha1
kind: ClusterPromotionTask
metadata: {name: global}
spec:
  steps:
  - {uses: compose-output, config: {done: "yes"}}
`,
		},
		{
			name: "reads inside a task resolved by the Stage using it",
			manifest: steps("  vars: [{name: repo, value: r}]\n", `      - {task: {name: pr}, as: early}
`+clone+`      - {task: {name: pr}, as: late, vars: [{name: branch, value: dev}]}
      - {task: {name: reader}, vars: [{name: given, value: g}]}
`) + prTask + `---
apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata: {name: reader, namespace: shop}
spec:
  steps:
  - {uses: fail, config: {message: "${{ vars.given }} ${{ vars.repo }} ${{ vars.undeclared }} ${{ outputs['late::out'].commit }} ${{ outputs['task-4::step-2'].x }}"}}
  - {uses: fail, config: {message: "${{ outputs['task-4::step-1'] }} ${{ outputs.wait }}"}}
`,
			want: []string{
				`error: test.yaml: PromotionTask/pr: spec.steps[0].config.sourceBranch: step "open-pr": outputs.clone: no earlier step has alias "clone" when Stage/dev runs it as step "early"`,
				`error: test.yaml: PromotionTask/reader: spec.steps[0].config.message: step "step-1": vars.undeclared: PromotionTask "reader" declares no variable "undeclared", and it is not defined when Stage/dev runs it as step "task-4"`,
				`error: test.yaml: PromotionTask/reader: spec.steps[0].config.message: step "step-1": outputs['task-4::step-2']: no earlier step has alias "task-4::step-2" when Stage/dev runs it as step "task-4"; read an earlier step of this task as task.outputs['step-2']`,
				`error: test.yaml: PromotionTask/reader: spec.steps[1].config.message: step "step-2": outputs.wait: no earlier step has alias "wait" when Stage/dev runs it as step "task-4"`,
			},
		},
		{
			name: "task used by no Stage reads undeclared vars",
			manifest: `apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata: {name: lonely, namespace: shop}
spec:
  vars: [{name: declared, value: "${{ vars.fromStage }}"}]
  steps:
  - {uses: fail, config: {message: "${{ vars.declared }} ${{ vars.other }} ${{ outputs.anything }}"}}
`,
			want: []string{
				`warning: test.yaml: PromotionTask/lonely: spec.vars[0].value: vars.fromStage: PromotionTask "lonely" declares no variable "fromStage": it is only defined if the Stage using the task or its task step defines it; declare it in spec.vars`,
				`warning: test.yaml: PromotionTask/lonely: spec.steps[0].config.message: step "step-1": vars.other: PromotionTask "lonely" declares no variable "other": it is only defined if the Stage using the task or its task step defines it; declare it in spec.vars`,
			},
		},
		{
			name: "if without delimiters and bad expressions",
			manifest: steps("", `      - {uses: fail, if: "success()"}
      - {uses: fail, if: "${{ always() }}", config: {message: "${{ 1 + }}"}}
      - {uses: fail, config: {message: "${{ len() }}"}}
      - {uses: fail, config: {message: "${{ quote(1, 2) }}"}}
      - {uses: fail, config: {message: "ok ${% {'a': {'b': 1}} %} and ${{ 'x' "}}
`),
			want: []string{
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[0].if: step "step-1": "success()" has no ${{ }} delimiters: it stays a string and the step errors at run time; write "${{ success() }}"`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[1].config.message: step "step-2": expression ${{ 1 + }}: unexpected token EOF (line 1, column 5)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[2].config.message: step "step-3": expression ${{ len() }}: invalid number of arguments (expected 1, got 0) (line 1, column 2)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[3].config.message: step "step-4": expression ${{ quote(1, 2) }}: too many arguments to call quote (line 1, column 2)`,
				`error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps[4].config.message: step "step-5": unclosed expression: expected "}}" but reached end of template`,
			},
		},
		{
			name: "reads that cannot be checked or are shadowed",
			manifest: steps("  vars: [{name: k, value: clone}, {name: repo, value: r}]\n", clone+`      - {uses: fail, if: "${% always() %}", config: {message: "${{ outputs[vars.k].commits }} ${{ let vars = {'x': 1}; vars.x }} ${{ $env.outputs.none }}"}}
`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := manifest.Decode("test.yaml", []byte(tt.manifest))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got := lines(lint.Check(objs))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check() findings (-want +got):\n%s", diff)
			}
		})
	}
}

func lines(findings []lint.Finding) []string {
	var out []string
	for _, f := range findings {
		out = append(out, f.Severity.String()+": "+f.String())
	}
	return out
}

// TestCheckAliases builds the resources in Go: manifest.Decode already rejects duplicate and
// reserved aliases, but Check may be given resources from elsewhere.
func TestCheckAliases(t *testing.T) {
	stage := &v1.Stage{Spec: v1.StageSpec{PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{
		Steps: []v1.PromotionStep{
			{Uses: "fail", As: "x"},
			{Uses: "fail", As: " x "},
			{Uses: "fail", As: "step-3"},
			{Uses: "fail", As: "y"},
			{Task: &v1.PromotionTaskReference{Name: "t"}, As: "task-9", If: "${{ always() }}"},
			{},
		},
	}}}}
	task := &v1.PromotionTask{Spec: v1.PromotionTaskSpec{Steps: []v1.PromotionStep{
		{Uses: "fail", As: "a"},
		{Uses: "fail", As: "step-1"},
		{Uses: "fail", As: "b", Task: &v1.PromotionTaskReference{Name: "t"}},
	}}}
	objs := []manifest.Object{
		{File: "stage.yaml", Kind: v1.KindStage, Name: "dev", Project: "shop", Resource: stage},
		{File: "task.yaml", Kind: v1.KindPromotionTask, Name: "t", Project: "shop", Resource: task},
	}
	want := []string{
		`error: stage.yaml: Stage/dev: spec.promotionTemplate.spec.steps[1].as: step "x": alias "x" is also the alias of steps[0]; aliases must be unique`,
		`error: stage.yaml: Stage/dev: spec.promotionTemplate.spec.steps[2].as: step "step-3": alias "step-3" is reserved for steps without an alias; choose another name`,
		`error: stage.yaml: Stage/dev: spec.promotionTemplate.spec.steps[4].as: step "task-9": alias "task-9" is reserved for steps without an alias; choose another name`,
		`error: stage.yaml: Stage/dev: spec.promotionTemplate.spec.steps[4]: step "task-9": a task step may only have task, as and vars; move if, config, continueOnError and retry into the task's steps`,
		`error: stage.yaml: Stage/dev: spec.promotionTemplate.spec.steps[5]: step "step-6": must set uses (a step kind) or task`,
		`error: task.yaml: PromotionTask/t: spec.steps[1].as: step "step-1": alias "step-1" is reserved for steps without an alias; choose another name`,
		`error: task.yaml: PromotionTask/t: spec.steps[2].task: step "b": a task cannot use another task; copy its steps here`,
	}
	if diff := cmp.Diff(want, lines(lint.Check(objs))); diff != "" {
		t.Errorf("Check() findings (-want +got):\n%s", diff)
	}
}

func TestFindingString(t *testing.T) {
	tests := []struct {
		f    lint.Finding
		want string
	}{
		{
			lint.Finding{File: "a.yaml", Resource: "Stage/dev", Path: "spec.promotionTemplate.spec.steps[2].config.updates[0].value", Step: "update", Msg: "bad"},
			`a.yaml: Stage/dev: spec.promotionTemplate.spec.steps[2].config.updates[0].value: step "update": bad`,
		},
		{lint.Finding{Resource: "Stage/dev", Path: "spec.vars[0].value", Msg: "bad", Severity: lint.Warning}, "Stage/dev: spec.vars[0].value: bad"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestHasErrors(t *testing.T) {
	warn := lint.Finding{Msg: "w", Severity: lint.Warning}
	for _, tt := range []struct {
		findings []lint.Finding
		want     bool
	}{
		{nil, false},
		{[]lint.Finding{warn}, false},
		{[]lint.Finding{warn, {Msg: "e", Severity: lint.Error}}, true},
	} {
		if got := lint.HasErrors(tt.findings); got != tt.want {
			t.Errorf("HasErrors(%v) = %v, want %v", tt.findings, got, tt.want)
		}
	}
}
