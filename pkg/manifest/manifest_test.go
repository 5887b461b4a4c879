package manifest_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/manifest"
)

type summary struct{ File, Kind, Name, Project string }

func summarize(objs []manifest.Object) []summary {
	var out []summary
	for _, o := range objs {
		out = append(out, summary{filepath.ToSlash(o.File), o.Kind, o.Name, o.Project})
	}
	return out
}

// fieldErrors unpacks the joined error of Decode or Validate.
func fieldErrors(t *testing.T, err error) []v1.FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	var out []v1.FieldError
	for _, e := range list {
		var fe *v1.FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %q is not a *v1.FieldError", e)
		}
		out = append(out, *fe)
	}
	return out
}

func TestDecodeDir(t *testing.T) {
	objs, err := manifest.DecodeDir("testdata/demo")
	if err != nil {
		t.Fatalf("DecodeDir(testdata/demo) = %v, want nil", err)
	}
	want := []summary{
		{"testdata/demo/project.yaml", "Project", "kargo-demo", "kargo-demo"},
		{"testdata/demo/project.yaml", "ProjectConfig", "kargo-demo", "kargo-demo"},
		{"testdata/demo/stages.yaml", "Stage", "test", "kargo-demo"},
		{"testdata/demo/stages.yaml", "Stage", "uat", "kargo-demo"},
		{"testdata/demo/stages.yaml", "Stage", "prod", "kargo-demo"},
		{"testdata/demo/tasks/hello.yml", "CustomPromotionStep", "hello-world", ""},
		{"testdata/demo/tasks/promote.json", "PromotionTask", "promote", "kargo-demo"},
		{"testdata/demo/warehouse.yml", "Warehouse", "guestbook", "kargo-demo"},
	}
	if diff := cmp.Diff(want, summarize(objs)); diff != "" {
		t.Errorf("DecodeDir(testdata/demo) mismatch (-want +got):\n%s", diff)
	}
	for _, o := range objs {
		b, err := json.Marshal(o.Resource)
		if err != nil || string(b) != string(o.JSON) {
			t.Errorf("%s %s: JSON = %s, want json.Marshal(Resource) = %s, %v", o.Kind, o.Name, o.JSON, b, err)
		}
	}
	task := objs[6].Resource.(*v1.PromotionTask)
	if got, want := task.Spec.Steps[1].Config["path"], "./src/values.yaml"; got != want {
		t.Errorf("PromotionTask step 1 config.path = %v, want %v", got, want)
	}
}

func TestDecodeFile(t *testing.T) {
	objs, err := manifest.DecodeFile("testdata/demo/warehouse.yml")
	if err != nil {
		t.Fatalf("DecodeFile(warehouse.yml) = %v, want nil", err)
	}
	w, ok := objs[0].Resource.(*v1.Warehouse)
	if len(objs) != 1 || !ok {
		t.Fatalf("DecodeFile(warehouse.yml) = %v, want one *v1.Warehouse", summarize(objs))
	}
	want := &v1.ImageSubscription{RepoURL: "ghcr.io/akuity/guestbook", Constraint: "^0.0.1", DiscoveryLimit: 5}
	if diff := cmp.Diff(want, w.Spec.Subscriptions[0].Image); diff != "" {
		t.Errorf("subscription mismatch (-want +got):\n%s", diff)
	}
	if _, err := manifest.DecodeFile("testdata/nope.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DecodeFile(missing) = %v, want os.ErrNotExist", err)
	}
}

// TestDecodeExamples decodes the resource examples of package v1, which double as
// realistic Kargo manifests.
func TestDecodeExamples(t *testing.T) {
	for _, e := range v1.Table {
		if e.Message {
			continue
		}
		file := filepath.Join("..", "api", "v1", "testdata", e.Name+".yaml")
		objs, err := manifest.DecodeFile(file)
		if err != nil {
			t.Errorf("DecodeFile(%s) = %v, want nil", file, err)
			continue
		}
		if len(objs) != 1 || objs[0].Kind != e.ID {
			t.Errorf("DecodeFile(%s) = %v, want one %s", file, summarize(objs), e.ID)
		}
	}
}

// TestDecodeKubectlOutput accepts what `kubectl get -o yaml` prints for a Kargo resource:
// metadata Dray does not read and the status block are ignored.
func TestDecodeKubectlOutput(t *testing.T) {
	const doc = `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: guestbook
  namespace: kargo-demo
  uid: 5e0c7b4e-9d1c-4c3b-8a51-3a8c1f0a9b2d
  resourceVersion: "123456"
  generation: 3
  creationTimestamp: null
  finalizers: [kargo.akuity.io/finalizer]
  managedFields:
  - manager: kubectl
    operation: Apply
spec:
  subscriptions:
  - git: {repoURL: https://github.com/example/cfg.git, branch: main}
status:
  observedGeneration: 3
  conditions: [{type: Ready, status: "True"}]
`
	objs, err := manifest.Decode("w.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Decode(kubectl output) = %v, want nil", err)
	}
	const want = `{"apiVersion":"kargo.akuity.io/v1alpha1","kind":"Warehouse","metadata":{"name":"guestbook","namespace":"kargo-demo"},"spec":{"subscriptions":[{"git":{"repoURL":"https://github.com/example/cfg.git","branch":"main"}}]}}`
	if got := string(objs[0].JSON); got != want {
		t.Errorf("Decode(kubectl output).JSON = %s, want %s", got, want)
	}
}

func TestDecodeDefaultProject(t *testing.T) {
	const doc = `apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata: {name: t}
spec:
  steps: [{uses: git-clone}]
---
apiVersion: kargo.akuity.io/v1alpha1
kind: ClusterPromotionTask
metadata: {name: c}
spec:
  steps: [{uses: git-clone}]
---
apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata: {name: u, namespace: other}
spec:
  steps: [{uses: git-clone}]
`
	objs, err := manifest.Decode("t.yaml", []byte(doc), manifest.WithDefaultProject("kargo-demo"))
	if err != nil {
		t.Fatalf("Decode(WithDefaultProject) = %v, want nil", err)
	}
	want := []summary{
		{"t.yaml", "PromotionTask", "t", "kargo-demo"},
		{"t.yaml", "ClusterPromotionTask", "c", ""},
		{"t.yaml", "PromotionTask", "u", "other"},
	}
	if diff := cmp.Diff(want, summarize(objs)); diff != "" {
		t.Errorf("Decode(WithDefaultProject) mismatch (-want +got):\n%s", diff)
	}
	if ns := objs[0].Resource.(*v1.PromotionTask).Metadata.Namespace; ns != "kargo-demo" {
		t.Errorf("metadata.namespace = %q, want kargo-demo", ns)
	}
}

const head = "apiVersion: kargo.akuity.io/v1alpha1\n"

func TestDecodeErrors(t *testing.T) {
	stage := func(steps string) string {
		return head + `kind: Stage
metadata: {name: prod, namespace: demo}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: w}
    sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
` + steps
	}
	tests := []struct {
		name string
		doc  string
		want []v1.FieldError
	}{
		{
			name: "unknown field names its path",
			doc:  stage("      - usez: git-clone\n"),
			want: []v1.FieldError{{Resource: "Stage/prod", Path: "spec.promotionTemplate.spec.steps[0].usez", Msg: "unknown field: remove it or check its spelling"}},
		},
		{
			name: "missing required field names its path",
			doc:  head + "kind: Warehouse\nmetadata: {name: w, namespace: demo}\nspec:\n  subscriptions:\n  - image: {constraint: ^1.0.0}\n",
			want: []v1.FieldError{{Resource: "Warehouse/w", Path: "spec.subscriptions[0].image.repoURL", Msg: "required field is missing"}},
		},
		{
			name: "wrong type",
			doc:  head + "kind: Warehouse\nmetadata: {name: w, namespace: demo}\nspec:\n  interval: 5\n  subscriptions: [{git: {repoURL: x}}]\n",
			want: []v1.FieldError{{Resource: "Warehouse/w", Path: "spec.interval", Msg: "got number, want string"}},
		},
		{
			name: "step with neither uses nor task",
			doc:  stage("      - as: x\n"),
			want: []v1.FieldError{{Resource: "Stage/prod", Path: "spec.promotionTemplate.spec.steps[0]", Msg: "must set exactly one of uses or task"}},
		},
		{
			name: "step with both uses and task",
			doc:  stage("      - uses: git-clone\n        task: {name: t}\n"),
			want: []v1.FieldError{{Resource: "Stage/prod", Path: "spec.promotionTemplate.spec.steps[0]", Msg: "must set exactly one of uses or task, not both"}},
		},
		{
			name: "duplicate and reserved aliases",
			doc:  stage("      - {uses: git-clone, as: clone}\n      - {uses: git-clone, as: ' clone '}\n      - {uses: git-push, as: step-3}\n      - {uses: git-push, as: task-1}\n"),
			want: []v1.FieldError{
				{Resource: "Stage/prod", Path: "spec.promotionTemplate.spec.steps[1].as", Msg: `"clone" is also the alias of steps[0]`},
				{Resource: "Stage/prod", Path: "spec.promotionTemplate.spec.steps[2].as", Msg: `"step-3" is reserved for steps without an alias; choose another name`},
				{Resource: "Stage/prod", Path: "spec.promotionTemplate.spec.steps[3].as", Msg: `"task-1" is reserved for steps without an alias; choose another name`},
			},
		},
		{
			name: "task step with step fields",
			doc:  stage("      - task: {name: t, kind: Task}\n        if: ${{ true }}\n        config: {a: b}\n"),
			want: []v1.FieldError{
				{Resource: "Stage/prod", Path: "spec.promotionTemplate.spec.steps[0].task.kind", Msg: `got "Task", want PromotionTask or ClusterPromotionTask`},
				{Resource: "Stage/prod", Path: "spec.promotionTemplate.spec.steps[0].if", Msg: "is not allowed on a task step (only task, as and vars are)"},
				{Resource: "Stage/prod", Path: "spec.promotionTemplate.spec.steps[0].config", Msg: "is not allowed on a task step (only task, as and vars are)"},
			},
		},
		{
			name: "bad promotion windows",
			doc: head + "kind: ProjectConfig\nmetadata: {name: demo, namespace: demo}\nspec:\n  promotionWindows:\n" +
				"  - {name: freeze, kind: deny, schedule: 'every friday', duration: 62h}\n" +
				"  - {kind: allow, schedule: '0 9 * * 1-5', duration: 8h, timeZone: Mars/Olympus}\n",
			want: []v1.FieldError{
				{Resource: "ProjectConfig/demo", Path: "spec.promotionWindows[0].schedule", Msg: `"every friday" is not a five-field cron expression: expected exactly 5 fields, found 2: [every friday]`},
				{Resource: "ProjectConfig/demo", Path: "spec.promotionWindows[1].timeZone", Msg: `"Mars/Olympus" is not an IANA time zone such as Europe/Berlin`},
			},
		},
		{
			name: "bad autoRollback",
			doc: head + "kind: ProjectConfig\nmetadata: {name: demo, namespace: demo}\nspec:\n  promotionPolicies:\n" +
				"  - stage: prod\n    autoPromotionMinInterval: soon\n    autoRollback: {onVerification: [Broken], maxAge: -5m}\n",
			want: []v1.FieldError{
				{Resource: "ProjectConfig/demo", Path: "spec.promotionPolicies[0].autoPromotionMinInterval", Msg: `"soon" is not a duration such as 30m or 1h`},
				{Resource: "ProjectConfig/demo", Path: "spec.promotionPolicies[0].autoRollback.onVerification[0]", Msg: `"Broken" is not a phase that rolls back: use Failed or Errored`},
				{Resource: "ProjectConfig/demo", Path: "spec.promotionPolicies[0].autoRollback.maxAge", Msg: `"-5m" must be positive`},
			},
		},
		{
			name: "bad RRULE windows, Kargo's form",
			doc: head + "kind: ProjectConfig\nmetadata: {name: demo, namespace: demo}\nspec:\n  promotionWindows:\n" +
				"  - {name: freeze, kind: Deny, rrule: 'FREQ=SOMETIMES', dtstart: 'TZID=Europe/Berlin:20260102T150000', dtend: 'TZID=Europe/Berlin:20260105T080000'}\n" +
				"  - {name: nights, kind: Allow, rrule: FREQ=DAILY, dtstart: 'TZID=Mars/Olympus:20260101T220000', dtend: 20260102T060000}\n" +
				"  - {name: pci, kind: Deny, dtstart: 20261224T000000Z, dtend: 20261227T000000Z, projectSelector: {name: demo}}\n",
			want: []v1.FieldError{
				{Resource: "ProjectConfig/demo", Path: "spec.promotionWindows[0].rrule", Msg: `"FREQ=SOMETIMES" is not an RFC 5545 recurrence rule such as FREQ=WEEKLY;BYDAY=FR: undefined frequency: SOMETIMES`},
				{Resource: "ProjectConfig/demo", Path: "spec.promotionWindows[1].dtstart", Msg: `"TZID=Mars/Olympus:20260101T220000" is not an iCal date-time such as TZID=Europe/Berlin:20260101T090000 or 20260101T090000Z: unknown time zone Mars/Olympus`},
				{Resource: "ProjectConfig/demo", Path: "spec.promotionWindows[2].projectSelector", Msg: "is only allowed on a ClusterConfig's windows; a project's windows apply to that project"},
			},
		},
		{
			name: "a ClusterConfig is named cluster and checks its windows",
			doc: head + "kind: ClusterConfig\nmetadata: {name: main}\nspec:\n  promotionWindows:\n" +
				"  - {name: pci, kind: Deny, dtstart: 20261224T000000Z, dtend: 20261224T000000Z, projectSelector: {matchLabels: {compliance: pci}}}\n",
			want: []v1.FieldError{
				{Resource: "ClusterConfig/main", Path: "metadata.name", Msg: `must be "cluster": there is one ClusterConfig`},
				{Resource: "ClusterConfig/main", Path: "spec.promotionWindows[0].dtend", Msg: "20261224T000000Z is not after dtstart 20261224T000000Z"},
			},
		},
		{
			name: "task inside a task",
			doc:  head + "kind: PromotionTask\nmetadata: {name: t, namespace: demo}\nspec:\n  steps:\n  - task: {name: other}\n",
			want: []v1.FieldError{{Resource: "PromotionTask/t", Path: "spec.steps[0].task", Msg: "tasks can only be used from a Stage's promotion template; use uses"}},
		},
		{
			name: "bad names, missing namespace, bad variable",
			doc:  head + "kind: PromotionTask\nmetadata: {name: My_Task}\nspec:\n  vars: [{name: 1st}]\n  steps: [{uses: git-clone}]\n",
			want: []v1.FieldError{
				{Resource: "PromotionTask/My_Task", Path: "metadata.name", Msg: `"My_Task" is not a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253`},
				{Resource: "PromotionTask/My_Task", Path: "metadata.namespace", Msg: "is required: name the project (a Kargo namespace) this resource belongs to"},
				{Resource: "PromotionTask/My_Task", Path: "spec.vars[0].name", Msg: `"1st" is not a valid variable name (^[a-zA-Z_]\w*$)`},
			},
		},
		{
			name: "stage requests",
			doc: head + `kind: Stage
metadata: {name: s, namespace: demo}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: w}
    sources: {}
  - origin: {kind: Warehouse, name: w}
    sources: {direct: true}
  - origin: {kind: Stage, name: x}
    sources: {direct: true}
`,
			want: []v1.FieldError{
				{Resource: "Stage/s", Path: "spec.requestedFreight[0].sources", Msg: "must set direct: true or list upstream stages"},
				{Resource: "Stage/s", Path: "spec.requestedFreight[1].origin", Msg: "Warehouse/w is also requested by requestedFreight[0]"},
				{Resource: "Stage/s", Path: "spec.requestedFreight[2].origin.kind", Msg: `got "Stage", want Warehouse`},
			},
		},
		{
			name: "selection policies",
			doc: head + `kind: Stage
metadata: {name: s, namespace: demo}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: a}
    sources: {direct: true, autoPromotionOptions: {selectionPolicy: MatchUpstream}}
  - origin: {kind: Warehouse, name: b}
    sources: {stages: [qa, uat], autoPromotionOptions: {selectionPolicy: MatchUpstream}}
  - origin: {kind: Warehouse, name: c}
    sources: {stages: [x], autoPromotionOptions: {selectionPolicy: Oldest}}
  - origin: {kind: Warehouse, name: d}
    sources: {stages: [x], autoPromotionOptions: {selectionPolicy: MatchUpstream}}
`,
			want: []v1.FieldError{
				{Resource: "Stage/s", Path: "spec.requestedFreight[0].sources.autoPromotionOptions.selectionPolicy", Msg: "MatchUpstream needs direct: false and exactly one upstream stage"},
				{Resource: "Stage/s", Path: "spec.requestedFreight[1].sources.autoPromotionOptions.selectionPolicy", Msg: "MatchUpstream needs direct: false and exactly one upstream stage"},
				{Resource: "Stage/s", Path: "spec.requestedFreight[2].sources.autoPromotionOptions.selectionPolicy", Msg: `got "Oldest", want NewestFreight or MatchUpstream`},
			},
		},
		{
			name: "warehouse subscriptions",
			doc:  head + "kind: Warehouse\nmetadata: {name: w, namespace: demo}\nspec:\n  subscriptions:\n  - {name: a, git: {repoURL: x}, image: {repoURL: ghcr.io/y}}\n  - {name: a, chart: {repoURL: z}}\n  - {name: b}\n",
			want: []v1.FieldError{
				{Resource: "Warehouse/w", Path: "spec.subscriptions[0]", Msg: "must have exactly one of image, git, chart or a generic type, has 2"},
				{Resource: "Warehouse/w", Path: "spec.subscriptions[1].name", Msg: `"a" is also the name of subscriptions[0]`},
				{Resource: "Warehouse/w", Path: "spec.subscriptions[2]", Msg: "must have exactly one of image, git, chart or a generic type, has 0"},
			},
		},
		{
			name: "warehouse generic subscriptions and one repository twice",
			doc: head + "kind: Warehouse\nmetadata: {name: w, namespace: demo}\nspec:\n  subscriptions:\n" +
				"  - {modelhub: {config: {model: m}}}\n" +
				"  - {name: ok, modelhub: {config: {model: n}, discoveryLimit: 5}}\n" +
				"  - {name: stable, image: {repoURL: ghcr.io/x/app, constraint: ^1}}\n" +
				"  - {name: canary, image: {repoURL: ghcr.io/x/app}}\n" +
				"  - {image: {repoURL: ghcr.io/x/app}}\n" +
				"  - {git: {repoURL: https://github.com/x/cfg.git}}\n" +
				"  - {name: main, git: {repoURL: https://GitHub.com/x/cfg}}\n",
			want: []v1.FieldError{
				{Resource: "Warehouse/w", Path: "spec.subscriptions[0].name", Msg: "is required for a generic subscription (modelhub): artifactFrom() finds its artifact by that name"},
				{Resource: "Warehouse/w", Path: "spec.subscriptions[4]", Msg: "subscribes to the same repository as subscriptions[2] (image ghcr.io/x/app): name both subscriptions to tell their artifacts apart"},
				{Resource: "Warehouse/w", Path: "spec.subscriptions[6]", Msg: "subscribes to the same repository as subscriptions[5] (git https://github.com/x/cfg): name both subscriptions to tell their artifacts apart"},
			},
		},
		{
			name: "project config named unlike its project",
			doc:  head + "kind: ProjectConfig\nmetadata: {name: other, namespace: demo}\nspec: {}\n",
			want: []v1.FieldError{{Resource: "ProjectConfig/other", Path: "metadata.name", Msg: `must equal the project name "demo"`}},
		},
		{
			name: "freight without artifacts",
			doc:  head + "kind: Freight\nmetadata: {name: f, namespace: demo}\norigin: {kind: Warehouse, name: w}\n",
			want: []v1.FieldError{{Resource: "Freight/f", Msg: "Freight must have at least one commit, image, chart or artifact"}},
		},
		{
			name: "wrong apiVersion",
			doc:  "apiVersion: ee.kargo.akuity.io/v1alpha1\nkind: Project\nmetadata: {name: p}\n",
			want: []v1.FieldError{{Resource: "Project/p", Path: "apiVersion", Msg: `got "ee.kargo.akuity.io/v1alpha1", want kargo.akuity.io/v1alpha1`}},
		},
		{
			name: "foreign apiVersion and kind",
			doc:  "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: app}\n",
			want: []v1.FieldError{
				{Resource: "Application/app", Path: "kind", Msg: `unknown kind "Application"; want one of Project, ProjectConfig, ClusterConfig, Warehouse, Stage, Freight, Promotion, PromotionTask, ClusterPromotionTask, CustomPromotionStep, Secret, ConfigMap, MessageChannel, ClusterMessageChannel, EventRouter, ServiceAccount, Role, RoleBinding`},
				{Resource: "Application/app", Path: "apiVersion", Msg: `got "argoproj.io/v1alpha1", want kargo.akuity.io/v1alpha1`},
			},
		},
		{
			name: "no kind, no name",
			doc:  head + "metadata: {}\n",
			want: []v1.FieldError{{Resource: "document 1", Path: "kind", Msg: "is required; want one of Project, ProjectConfig, ClusterConfig, Warehouse, Stage, Freight, Promotion, PromotionTask, ClusterPromotionTask, CustomPromotionStep, Secret, ConfigMap, MessageChannel, ClusterMessageChannel, EventRouter, ServiceAccount, Role, RoleBinding"}},
		},
		{
			name: "not an object",
			doc:  "- a\n- b\n",
			want: []v1.FieldError{{Resource: "document 1", Msg: "document is a list, want an object with apiVersion and kind"}},
		},
		{
			name: "duplicate key",
			doc:  head + "kind: Project\nmetadata:\n  name: p\n  name: q\n",
			want: []v1.FieldError{{Resource: "document 1", Path: "metadata.name", Msg: "duplicate key"}},
		},
		{
			name: "syntax error stops the file",
			doc:  head + "kind: Project\nmetadata: {name: p}\n---\nkind: [\n---\nkind: Stage\n",
			want: []v1.FieldError{{Resource: "document 2", Msg: "not valid YAML: line 5: did not find expected node content"}},
		},
		{
			name: "same resource twice",
			doc:  head + "kind: Project\nmetadata: {name: p}\n---\n" + head + "kind: Project\nmetadata: {name: p}\n",
			want: []v1.FieldError{{Resource: "Project/p", Path: "metadata.name", Msg: "defined twice; first in m.yaml (document 1)"}},
		},
		{
			name: "problems of every document are reported",
			doc:  head + "kind: Project\nmetadata: {name: Bad}\n---\n" + head + "kind: Project\nmetadata: {name: good}\n---\n" + head + "kind: Stage\nmetadata: {name: s, namespace: d}\nspec: {requestedFreight: []}\n",
			want: []v1.FieldError{
				{Resource: "Project/Bad", Path: "metadata.name", Msg: `"Bad" is not a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`},
				{Resource: "Stage/s", Path: "spec.requestedFreight", Msg: "must request Freight from at least one origin"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := manifest.Decode("m.yaml", []byte(tt.doc))
			if objs != nil {
				t.Errorf("Decode(%q) = %v objects, want none", tt.name, summarize(objs))
			}
			for i := range tt.want {
				tt.want[i].File = "m.yaml"
			}
			if diff := cmp.Diff(tt.want, fieldErrors(t, err)); diff != "" {
				t.Errorf("Decode(%q) errors mismatch (-want +got):\n%s", tt.doc, diff)
			}
		})
	}
}

func TestDecodeErrorText(t *testing.T) {
	_, err := manifest.Decode("stages.yaml", []byte(head+"kind: Stage\nmetadata: {name: prod}\nspec: {requestedFreight: [{origin: {kind: Warehouse, name: w}, sources: {direct: true}}]}\n"))
	const want = "stages.yaml: Stage/prod: metadata.namespace: is required: name the project (a Kargo namespace) this resource belongs to"
	if err == nil || err.Error() != want {
		t.Errorf("Decode() error = %v, want %q", err, want)
	}
}

func TestDecodeEmpty(t *testing.T) {
	for _, doc := range []string{"", "\n", "# nothing\n", "---\n---\n", "null\n"} {
		objs, err := manifest.Decode("e.yaml", []byte(doc))
		if err != nil || len(objs) != 0 {
			t.Errorf("Decode(%q) = %v, %v, want no objects and no error", doc, summarize(objs), err)
		}
	}
}

func TestValidate(t *testing.T) {
	good := &v1.PromotionTask{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindPromotionTask},
		Metadata: v1.ObjectMeta{Name: "t", Namespace: "demo"},
		Spec:     v1.PromotionTaskSpec{Steps: []v1.PromotionStep{{Uses: "git-clone", As: "clone"}}},
	}
	if err := manifest.Validate(good); err != nil {
		t.Errorf("Validate(good task) = %v, want nil", err)
	}
	if err := manifest.Validate(*good); err != nil {
		t.Errorf("Validate(good task by value) = %v, want nil", err)
	}

	bad := *good
	bad.Metadata.Namespace = ""
	bad.Spec.Steps = []v1.PromotionStep{{Uses: "git-clone", As: "a"}, {Uses: "git-push", As: "a"}}
	want := []v1.FieldError{
		{Resource: "PromotionTask/t", Path: "metadata.namespace", Msg: "is required: name the project (a Kargo namespace) this resource belongs to"},
		{Resource: "PromotionTask/t", Path: "spec.steps[1].as", Msg: `"a" is also the alias of steps[0]`},
	}
	if diff := cmp.Diff(want, fieldErrors(t, manifest.Validate(&bad))); diff != "" {
		t.Errorf("Validate(bad task) mismatch (-want +got):\n%s", diff)
	}

	noKind := *good
	noKind.TypeMeta = v1.TypeMeta{}
	want = []v1.FieldError{
		{Resource: "PromotionTask/t", Path: "apiVersion", Msg: "value must be one of 'kargo.akuity.io/v1alpha1', 'ee.kargo.akuity.io/v1alpha1'"},
		{Resource: "PromotionTask/t", Path: "kind", Msg: "value must be 'PromotionTask'"},
	}
	if diff := cmp.Diff(want, fieldErrors(t, manifest.Validate(&noKind))); diff != "" {
		t.Errorf("Validate(task without apiVersion and kind) mismatch (-want +got):\n%s", diff)
	}

	// Messages are checked against their schema only.
	wrongGroup := *good
	wrongGroup.APIVersion = v1.EEGroupVersion
	want = []v1.FieldError{{Resource: "PromotionTask/t", Path: "apiVersion", Msg: `got "ee.kargo.akuity.io/v1alpha1", want kargo.akuity.io/v1alpha1`}}
	if diff := cmp.Diff(want, fieldErrors(t, manifest.Validate(&wrongGroup))); diff != "" {
		t.Errorf("Validate(task with the ee apiVersion) mismatch (-want +got):\n%s", diff)
	}

	if err := manifest.Validate(&v1.PromoteCommand{Project: "demo", Stage: "prod", Freight: "f"}); err != nil {
		t.Errorf("Validate(PromoteCommand) = %v, want nil", err)
	}

	if err := manifest.Validate(struct{}{}); err == nil || !strings.Contains(err.Error(), "not a type of v1.Table") {
		t.Errorf("Validate(struct{}{}) = %v, want an error naming v1.Table", err)
	}
	if err := manifest.Validate((*v1.Stage)(nil)); err == nil {
		t.Errorf("Validate(nil *Stage) = nil, want an error")
	}
}

func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/demo/*.y*ml")
	more, _ := filepath.Glob("../api/v1/testdata/*.yaml")
	for _, s := range append(seeds, more...) {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{"", "---\n", "- a", "a: &x [*x]", "{\"kind\": \"Stage\"}", head + "kind: Project\nmetadata: {name: p}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := manifest.Decode("f.yaml", data)
		if err != nil {
			if objs != nil {
				t.Fatalf("Decode() = %d objects and %v, want no objects with an error", len(objs), err)
			}
			for _, fe := range fieldErrors(t, err) {
				if fe.File != "f.yaml" || fe.Resource == "" || fe.Msg == "" {
					t.Fatalf("FieldError %+v lacks its file, resource or message", fe)
				}
			}
			return
		}
		// The canonical JSON of every object decodes again to the same JSON.
		for _, o := range objs {
			again, err := manifest.Decode("g.json", o.JSON)
			if err != nil || len(again) != 1 || string(again[0].JSON) != string(o.JSON) {
				t.Fatalf("Decode(%s) = %v, %v, want the same object again", o.JSON, summarize(again), err)
			}
		}
	})
}

// TestDecodeArtifactoryReceiver: Kargo's Artifactory receiver, with its virtualRepoName, is
// accepted as written.
func TestDecodeArtifactoryReceiver(t *testing.T) {
	const doc = `apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata: {name: kargo-demo, namespace: kargo-demo}
spec:
  webhookReceivers:
  - name: jfrog
    artifactory:
      secretRef: {name: jfrog-webhook}
      virtualRepoName: docker-virtual
`
	objs, err := manifest.Decode("p.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Decode = %v, want nil", err)
	}
	if !strings.Contains(string(objs[0].JSON), `"virtualRepoName":"docker-virtual"`) {
		t.Errorf("Decode.JSON = %s, want the virtualRepoName kept", objs[0].JSON)
	}
}

// TestDecodeList: a v1 List (what kubectl and dray get -o yaml print for several objects)
// is its items, each checked as a document; a bad item is named by its index.
func TestDecodeList(t *testing.T) {
	const list = `apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
- apiVersion: kargo.akuity.io/v1alpha1
  kind: Project
  metadata: {name: shop, creationTimestamp: "2026-12-07T05:00:00Z"}
- apiVersion: kargo.akuity.io/v1alpha1
  kind: Warehouse
  metadata: {name: web, namespace: shop}
  spec:
    subscriptions:
    - git: {repoURL: https://github.com/example/cfg.git}
  status: {lastFreightID: abc}
`
	objs, err := manifest.Decode("list.yaml", []byte(list))
	if err != nil {
		t.Fatalf("Decode(List) = %v", err)
	}
	if got := summarize(objs); len(objs) != 2 || objs[0].Kind != "Project" || objs[1].Kind != "Warehouse" {
		t.Errorf("Decode(List) = %v, want the Project and the Warehouse", got)
	}
	bad := strings.Replace(list, "kind: Warehouse", "kind: Wearhouse", 1)
	if _, err := manifest.Decode("list.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), `list.yaml: Wearhouse/web: kind: unknown kind "Wearhouse"`) {
		t.Errorf("Decode(List with a bad item) = %v, want the item named", err)
	}
	unnamed := strings.Replace(list, "metadata: {name: web, namespace: shop}", "metadata: {namespace: shop}", 1)
	if _, err := manifest.Decode("list.yaml", []byte(unnamed)); err == nil || !strings.Contains(err.Error(), "list.yaml: document 1, items[1]: metadata") {
		t.Errorf("Decode(List with an unnamed item) = %v, want the item's index", err)
	}
	if _, err := manifest.Decode("list.yaml", []byte("apiVersion: v1\nkind: List\nitems: {a: 1}\n")); err == nil || !strings.Contains(err.Error(), "items") {
		t.Errorf("Decode(List whose items are a map) = %v, want an error naming items", err)
	}
}
