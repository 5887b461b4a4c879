package main

import (
	"strings"
	"testing"
)

// TestApplyRefusesBadWindowsApproversAndRoutes: the bad input of promotion windows, human
// steps and EventRouters (docs/resources.md#promotion-windows, docs/steps/wait-for-approval.md,
// docs/resources.md#eventrouter) is refused by dray apply against dray up — the gateway's check —
// naming the file, the resource and the field, and nothing of the batch is stored.
func TestApplyRefusesBadWindowsApproversAndRoutes(t *testing.T) {
	server := up(t)
	if out, err := dray(t, server, "apply", "-f", writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web})); err != nil {
		t.Fatalf("dray apply: %v\n%s", err, out)
	}
	approval := func(approvers string) string {
		return `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: prod, namespace: shop}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
      - uses: wait-for-approval
        as: sign-off
        config: {approvers: ` + approvers + `}
`
	}
	tests := []struct {
		name, file, manifest string
		want                 []string
	}{
		{name: "an invalid RRULE", file: "config.yaml", manifest: `apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata: {name: shop, namespace: shop}
spec:
  promotionWindows:
  - {name: freeze, kind: Deny, rrule: FREQ=FORTNIGHTLY, dtstart: 20261201T000000Z, dtend: 20261201T020000Z}
`, want: []string{"config.yaml", "ProjectConfig/shop", "spec.promotionWindows[0].rrule", "FORTNIGHTLY"}},
		{name: "an approver role the project lacks", file: "prod.yaml", manifest: approval("{roles: [release-managers]}"),
			want: []string{"prod.yaml", "Stage/prod", "spec.promotionTemplate.spec.steps[0].config.approvers.roles[0]", "matches nobody"}},
		{name: "an approver claim with no value", file: "prod.yaml", manifest: approval("{claims: {groups: []}}"),
			want: []string{"prod.yaml", "Stage/prod", "spec.promotionTemplate.spec.steps[0].config.approvers.claims.groups", "matches nobody"}},
		{name: "an EventRouter pointing at a missing channel", file: "router.yaml", manifest: eventRouterManifest,
			want: []string{"router.yaml", "EventRouter/prod-failures", "spec.channels[0].name", `MessageChannel "ops-hook" does not exist`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := dray(t, server, "apply", "-f", writeManifests(t, map[string]string{tt.file: tt.manifest}))
			if err == nil {
				t.Fatalf("dray apply succeeded:\n%s", out)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
	out, err := dray(t, server, "get", "stages", "-p", "shop")
	if err != nil || strings.Contains(out, "prod") {
		t.Errorf("after the refused applies, get stages = %q, %v; want no Stage prod stored", out, err)
	}
}
