package gitclear_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/steps/gitclear"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

// conformanceClone returns a directory whose out/ is a clone of branch main of a new
// repository, with app.yaml changed.
func conformanceClone(t *testing.T) string {
	t.Helper()
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "deploy", map[string]string{"app.yaml": "image: v1\n"})
	dir := t.TempDir()
	r, err := gitrepo.Clone(t.Context(), filepath.Join(dir, "out"), gitrepo.CloneOptions{
		URL: url, Branch: "main", Author: gitrepo.Author{Name: "Promoter", Email: "promoter@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir(), "app.yaml"), []byte("image: v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestConformance(t *testing.T) {
	steptest.Conformance(t, gitclear.New(), steptest.Case{
		From:   conformanceClone(t),
		Config: map[string]any{"path": "./out"},
	})
}
