package lint_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/lint"
	"github.com/drayhq/dray/pkg/manifest"
)

// TestCheckHumanSteps (docs/steps/wait-for-approval.md): an approver rule that matches nobody
// (a role the project lacks, WithRoles; a role the input declares counts), N greater than
// the people named, and a form that is not a JSON schema of an object are refused naming the
// step and the field.
func TestCheckHumanSteps(t *testing.T) {
	manifestText := steps("", `      - {uses: wait-for-approval, as: ok, config: {approvers: {roles: [release-managers, developer, sre]}}}
      - {uses: wait-for-approval, as: few, config: {approvals: 3, approvers: {claims: {email: [a@example.com, b@example.com]}}}}
      - {uses: wait-for-approval, as: nobody, config: {approvers: {}}}
      - {uses: get-user-input, as: scalar, config: {schema: {type: string}}}
      - {uses: get-user-input, as: broken, config: {schema: {type: object, properties: {count: {type: numeric}}}}}
      - {uses: get-user-input, as: form, config: {schema: {type: object, properties: {ticket: {type: string}}}}}
      - {uses: wait-for-approval, as: later, config: {approvers: {roles: ["${{ ctx.stage }}"]}}}
`) + `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sre, namespace: shop}
`
	objs, err := manifest.Decode("test.yaml", []byte(manifestText))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	has := func(project, role string) bool { return project == "shop" && role == "release-managers" }
	const at = "error: test.yaml: Stage/dev: spec.promotionTemplate.spec.steps"
	want := []string{
		at + `[1].config.approvals: step "few": 3 approvals needed but the approvers name only 2 people`,
		at + `[2].config.approvers: step "nobody": names nobody: list roles, or claims such as groups or email`,
		at + `[3].config.schema: step "scalar": must describe an object: set "type": "object" and list the form's fields under "properties"`,
	}
	got := lines(lint.Check(objs, lint.WithRoles(has)))
	if len(got) != 4 {
		t.Fatalf("Check() findings = %q, want 4 (the broken schema's among them)", got)
	}
	if diff := cmp.Diff(want, got[:3]); diff != "" {
		t.Errorf("Check() findings (-want +got):\n%s", diff)
	}
	if w := at + `[4].config.schema: step "broken": invalid JSON schema: properties.count.type: value must be one of`; len(got[3]) < len(w) || got[3][:len(w)] != w {
		t.Errorf("finding = %q, want it to start %q", got[3], w)
	}
	none := func(string, string) bool { return false }
	got = lines(lint.Check(objs, lint.WithRoles(none)))
	missing := at + `[0].config.approvers.roles[0]: step "ok": role "release-managers" does not exist in the project, so it matches nobody: declare a ServiceAccount or Role of that name, or use a built-in role (viewer, developer, admin)`
	if len(got) != 5 || got[0] != missing {
		t.Errorf("Check() without the role = %q, want first %q", got, missing)
	}
}
