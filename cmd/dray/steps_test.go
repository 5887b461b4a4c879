package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/drayhq/dray/pkg/schema"
)

// TestEveryStepHasSchema: every step kind dray run can run (every step the executors
// register) has its config schema in schemas/steps/.
func TestEveryStepHasSchema(t *testing.T) {
	r, err := newRunner(io.Discard, io.Discard, filepath.Join(t.TempDir(), "work"), false, runLimits{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.root.Close()
	if len(r.steps) == 0 {
		t.Fatal("newRunner registered no steps")
	}
	for name := range r.steps {
		if !schema.Exists("steps/" + name) {
			t.Errorf("step %s is registered but has no schemas/steps/%s.json", name, name)
		}
	}
}

// TestRunValidatesConfig: a step whose config fails its schema fails (Failed, InvalidConfig,
// naming the field) before it runs, so it writes nothing.
func TestRunValidatesConfig(t *testing.T) {
	template := "steps:\n- uses: file-write\n  as: write\n  config: {path: out.txt, contents: hi, permissions: \"0644\", mode: x}\n"
	args := runFiles(t, map[string]string{"template.yaml": template})
	out, err := dray(t, "", args...)
	if err == nil {
		t.Fatalf("dray run with an invalid config succeeded:\n%s", out)
	}
	if want := `(?m)^write\s+file-write\s+Failed\s+.*config\.mode: unknown field`; !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("dray run output does not match %s:\n%s", want, out)
	}
	work := args[len(args)-1]
	if _, err := os.Stat(filepath.Join(work, "out.txt")); !os.IsNotExist(err) {
		t.Errorf("Stat(out.txt) = %v, want no file written", err)
	}
}
