package gitclone_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/steps/gitclone"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "deploy", map[string]string{"app.yaml": "image: v1\n"})
	steptest.Conformance(t, gitclone.New(), steptest.Case{
		Config: map[string]any{"repoURL": url, "checkout": []any{
			map[string]any{"branch": "main", "path": "src"},
			map[string]any{"branch": "env/prod", "create": true, "path": "out", "as": "prod"},
		}},
	})
}
