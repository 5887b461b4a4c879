package promotion_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/promotion"
)

func TestHealthChecks(t *testing.T) {
	check := func(app string) map[string]any {
		return map[string]any{"healthCheck": map[string]any{"uses": "argocd-update",
			"config": map[string]any{"apps": []any{map[string]any{"name": app}}}}}
	}
	want := func(app string) v1.HealthCheck {
		return v1.HealthCheck{Uses: "argocd-update", Config: map[string]any{"apps": []any{map[string]any{"name": app}}}}
	}
	tests := []struct {
		name  string
		meta  []v1.StepExecutionMetadata
		state map[string]map[string]any
		want  []v1.HealthCheck
	}{
		{name: "no steps"},
		{
			name: "succeeded argocd-update steps, in step order",
			meta: []v1.StepExecutionMetadata{{Alias: "b", Uses: "argocd-update", Status: v1.StepSucceeded},
				{Alias: "a", Uses: "argocd-update", Status: v1.StepSucceeded}},
			state: map[string]map[string]any{"a": check("web"), "b": check("api")},
			want:  []v1.HealthCheck{want("api"), want("web")},
		},
		{
			name:  "an argocd-update that did not succeed registers none",
			meta:  []v1.StepExecutionMetadata{{Alias: "a", Uses: "argocd-update", Status: v1.StepErrored}},
			state: map[string]map[string]any{"a": check("web")},
		},
		{
			name:  "another step's healthCheck output registers none",
			meta:  []v1.StepExecutionMetadata{{Alias: "a", Uses: "compose-output", Status: v1.StepSucceeded}},
			state: map[string]map[string]any{"a": check("web")},
		},
		{
			name: "an argocd-update without the output registers none",
			meta: []v1.StepExecutionMetadata{{Alias: "a", Uses: "argocd-update", Status: v1.StepSucceeded}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &v1.Promotion{Status: v1.PromotionStatus{StepExecutionMetadata: tt.meta, State: tt.state}}
			if diff := cmp.Diff(tt.want, promotion.HealthChecks(p)); diff != "" {
				t.Errorf("HealthChecks() (-want +got):\n%s", diff)
			}
		})
	}
}
