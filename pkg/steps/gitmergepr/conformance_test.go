package gitmergepr_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/gitprovider/gitprovidertest"
	"github.com/drayhq/dray/pkg/steps/gitmergepr"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	srv := gitprovidertest.New(t, "github")
	n := srv.AddPR(gitprovidertest.PR{Head: "feature", Base: "main", Title: "t"})
	steptest.Conformance(t, gitmergepr.New(), steptest.Case{
		Config: map[string]any{"repoURL": srv.RepoURL(), "provider": "github", "prNumber": n},
	})
}
