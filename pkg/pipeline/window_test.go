package pipeline_test

import (
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
)

func TestWindowsSelectStages(t *testing.T) {
	cfg := &v1.ProjectConfig{Spec: v1.ProjectConfigSpec{PromotionWindows: []v1.PromotionWindow{
		{Name: "prod-freeze", Kind: "deny", Schedule: "0 0 * * *", Duration: "1h", Stages: &v1.StageSelector{Name: "glob:prod-*"}},
		{Name: "prod-nights", Kind: "Deny", RRule: "FREQ=DAILY", DTStart: "20260101T220000Z", DTEnd: "20260102T060000Z",
			StageSelector: &v1.StageSelector{Name: "regex:^prod-", MatchLabels: map[string]string{"tier": "critical"}}},
		{Name: "everyone", Kind: "allow", Schedule: "0 0 * * *", Duration: "24h"},
	}}}
	cluster := &v1.ClusterConfig{Spec: v1.ClusterConfigSpec{PromotionWindows: []v1.PromotionWindow{
		{Name: "pci-blackout", Kind: "Deny", DTStart: "20261224T000000Z", DTEnd: "20261227T000000Z",
			ProjectSelector: &v1.StageSelector{MatchLabels: map[string]string{"compliance": "pci"}}},
		{Name: "demo-prod", Kind: "Deny", DTStart: "20261224T000000Z", DTEnd: "20261227T000000Z",
			ProjectSelector: &v1.StageSelector{Name: "demo"}, StageSelector: &v1.StageSelector{Name: "glob:prod-*"}},
		{Name: "all", Kind: "Allow", RRule: "FREQ=DAILY", DTStart: "20260101T000000Z", DTEnd: "20260102T000000Z"},
	}}}
	pci := &v1.Project{Metadata: v1.ObjectMeta{Name: "demo", Labels: map[string]string{"compliance": "pci"}}}
	prod := stage("prod-eu", v1.FreightSources{Direct: true})
	prod.Metadata.Namespace = "demo"
	prod.Metadata.Labels = map[string]string{"tier": "critical"}
	prod.Spec.PromotionWindows = []v1.PromotionWindow{{Name: "own", Kind: "deny", Schedule: "0 0 1 1 *", Duration: "1h"}}
	dev := stage("dev", v1.FreightSources{Direct: true})
	dev.Metadata.Namespace = "other"
	tests := []struct {
		name    string
		cluster *v1.ClusterConfig
		project *v1.Project
		s       *v1.Stage
		want    string
	}{
		{"project windows by stages and stageSelector, then the Stage's", nil, nil, prod, "prod-freeze,prod-nights,everyone,own"},
		{"labels of the Stage must match", nil, nil, func() *v1.Stage { s := *prod; s.Metadata.Labels = nil; return &s }(), "prod-freeze,everyone,own"},
		{"cluster windows by project labels and name come first", cluster, pci, prod, "pci-blackout,demo-prod,all,prod-freeze,prod-nights,everyone,own"},
		{"cluster windows without the Project are matched by name", cluster, nil, prod, "demo-prod,all,prod-freeze,prod-nights,everyone,own"},
		{"another project gets only the unselective cluster windows", cluster, nil, dev, "all,everyone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var names []string
			for _, w := range pipeline.Windows(tt.cluster, tt.project, cfg, tt.s) {
				names = append(names, w.Name)
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Errorf("Windows(%s) = %s, want %s", tt.s.Metadata.Name, got, tt.want)
			}
		})
	}
}
