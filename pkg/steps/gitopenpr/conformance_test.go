package gitopenpr_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/gitopenpr"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	_, srv, _ := setup(t, "github")
	steptest.Conformance(t, gitopenpr.New(gitopenpr.WithCredentials(store{"dray-bot", token})), steptest.Case{
		Config: map[string]any{"repoURL": srv.RepoURL(), "provider": "github", "sourceBranch": "feature", "targetBranch": "main"},
	})
}
