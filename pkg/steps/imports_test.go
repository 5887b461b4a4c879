package steps_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStepsImportNoOtherStep: a step package imports what it shares with other steps from
// pkg/steps/internal/…, never another step package, so each step can be read, changed and
// moved on its own.
func TestStepsImportNoOtherStep(t *testing.T) {
	const prefix = "github.com/drayhq/dray/pkg/steps/"
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "internal" || d.Name() == "steptest" || d.Name() == "testdata" {
			continue
		}
		files, err := filepath.Glob(filepath.Join(d.Name(), "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				rest, ok := strings.CutPrefix(path, prefix)
				if ok && !strings.HasPrefix(rest, "internal/") && rest != "steptest" {
					t.Errorf("%s imports the step package %s; move what it shares to pkg/steps/internal/", file, path)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no step package files found")
	}
}
