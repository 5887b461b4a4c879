package argocdupdate_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/argocd/argocdtest"
	"github.com/drayhq/dray/pkg/steps/argocdupdate"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	srv := argocdtest.NewServer(t, token)
	srv.Add(gitApp("web-prod"))
	steptest.Conformance(t, argocdupdate.New(provider(t, srv)), steptest.Case{
		Config: map[string]any{"apps": []any{map[string]any{
			"name": "web-prod",
			"sources": []any{map[string]any{
				"repoURL": "https://GitHub.com/example/deploy", "desiredRevision": "abc123", "updateTargetRevision": true,
			}},
		}}},
	})
}
