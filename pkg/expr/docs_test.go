package expr

import (
	"os"
	"strings"
	"testing"
)

// TestEveryFunctionIsDocumented checks that docs/expressions.md documents each function a
// template can call, as `name(…)` in its text.
func TestEveryFunctionIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/expressions.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	var names []string
	for name := range templateFunctions {
		names = append(names, name)
	}
	for name := range boundFunctions {
		names = append(names, name)
	}
	for _, name := range names {
		if !IsFunction(name) {
			continue // the budget's checkpoint is not for templates
		}
		if !strings.Contains(doc, "`"+name+"(") {
			t.Errorf("docs/expressions.md does not document %s(): add it to the Functions section", name)
		}
	}
}
