package argocdwait_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	_, step := setup(t, argocd.HealthHealthy, argocd.SyncSynced)
	steptest.Conformance(t, step, steptest.Case{
		Config: map[string]any{"apps": []any{map[string]any{"name": "web"}}},
	})
}
