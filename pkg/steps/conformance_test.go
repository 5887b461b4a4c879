package steps_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryStepRunsConformance: each step package has a test that calls
// steptest.Conformance, so a new step cannot skip the suite.
func TestEveryStepRunsConformance(t *testing.T) {
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "internal" || d.Name() == "steptest" || d.Name() == "testdata" {
			continue
		}
		tests, err := filepath.Glob(filepath.Join(d.Name(), "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range tests {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			found = found || strings.Contains(string(b), "steptest.Conformance(")
		}
		if !found {
			t.Errorf("step package %s has no test calling steptest.Conformance", d.Name())
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no step packages found")
	}
}
