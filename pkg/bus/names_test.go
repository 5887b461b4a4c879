package bus_test

import (
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"EventSubject", bus.EventSubject("p", "dev.dray.promotion.succeeded"), "dray.events.p.promotion.succeeded"},
		{"EventSubject of a step event", bus.EventSubject("demo", v1.TypePromotionStepFinished), "dray.events.demo.promotion.step.finished"},
		{"CommandSubject", bus.CommandSubject("demo", "promote"), "dray.cmd.demo.promote"},
		{"StepSubject", bus.StepSubject("git", "demo"), "dray.steps.git.demo"},
		{"StepResultSubject", bus.StepResultSubject("demo"), "dray.results.demo.step"},
		{"PromotionRecordSubject", bus.PromotionRecordSubject("demo"), "dray.results.demo.promotion"},
		{"ResourceKey", bus.ResourceKey("demo", v1.KindStage, "dev"), "demo.Stage.dev"},
		{"ResourceKey without project", bus.ResourceKey("", v1.KindClusterPromotionTask, "shared"), bus.ClusterProject + ".ClusterPromotionTask.shared"},
		{"ClusterProject", bus.ClusterProject, "_cluster"},
		{"Key", bus.Key("demo", "dev.01jnkz.abc1234"), "demo.dev.01jnkz.abc1234"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
