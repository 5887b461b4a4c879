package steptest

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/drayhq/dray/pkg/steps"
)

// NewContext returns a step Context for one attempt of a step aliased "step", whose
// workspace is a new temporary directory holding files (slash-separated names relative to
// the workspace). The workspace root is closed when the test ends.
func NewContext(t testing.TB, cfg map[string]any, files map[string][]byte) *steps.Context {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &steps.Context{
		Project: "kargo-demo", Stage: "prod", Promotion: "prod.01j", Alias: "step", Attempt: 1,
		Config: cfg, WorkDir: dir, Dir: root, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// writeFiles writes files (slash-separated names) under dir.
func writeFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Run runs one attempt of s as the executors do: it validates the config against the step's
// schema (steps.ValidateConfig), then calls Run.
func Run(t testing.TB, s steps.Step, sc *steps.Context) (steps.Result, error) {
	t.Helper()
	if err := steps.ValidateConfig(sc, s.Info().Name); err != nil {
		return steps.Result{}, err
	}
	return s.Run(t.Context(), sc)
}

// Outcome renders what Run returned the way a golden case's want/outcome holds it: status,
// reason when set, and message for an error.
func Outcome(res steps.Result, err error) string {
	o := steps.Classify(res, err)
	s := "status: " + o.Status + "\n"
	if o.Reason != "" {
		s += "reason: " + o.Reason + "\n"
	}
	if err != nil {
		s += "message: " + o.Message + "\n"
	}
	return s
}

// Snapshot returns every regular file under dir by slash-separated relative path, and every
// symlink as "-> target".
func Snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "-> " + target
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
