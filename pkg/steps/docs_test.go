package steps

import (
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/drayhq/dray/schemas"
)

// docsDir holds a page per step, docs/steps/<step>.md, and the steps' README.
const docsDir = "../../docs/steps"

// TestEveryStepHasDocs checks that every step kind the code routes to an executor has a page
// in docs/steps, or is listed in the README's "Not implemented yet" table, that every page
// names a step the code knows, and that the README lists each step under its executor.
func TestEveryStepHasDocs(t *testing.T) {
	readme := readDoc(t, "README.md")
	notYet := firstCells(section(readme, "### Not implemented yet"))
	executors := maps.Clone(builtin)
	maps.Copy(executors, orchestrated)
	for name, executor := range executors {
		_, err := os.Stat(filepath.Join(docsDir, name+".md"))
		switch {
		case err == nil && slices.Contains(notYet, name):
			t.Errorf("docs/steps/README.md lists %s as not implemented, but docs/steps/%s.md documents it", name, name)
		case errors.Is(err, fs.ErrNotExist) && !slices.Contains(notYet, name):
			t.Errorf("step %s (executor %s) has no page: write docs/steps/%s.md", name, executor, name)
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			t.Fatal(err)
		}
		if err == nil && !strings.Contains(executorRow(readme, executor), "[`"+name+"`]") {
			t.Errorf("docs/steps/README.md: the executors table does not list %s under %s", name, executor)
		}
	}
	pages, err := filepath.Glob(filepath.Join(docsDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(filepath.Base(p), ".md")
		if _, ok := executors[name]; !ok && name != "README" {
			t.Errorf("docs/steps/%s.md documents a step the code does not know", name)
		}
	}
}

// TestStepDocsMatchSchemas checks each step page's Config table against the step's JSON
// Schema: every property, at every depth, has a row, and every row names a property.
func TestStepDocsMatchSchemas(t *testing.T) {
	files, err := fs.Glob(schemas.FS(), "steps/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("Glob(steps/*.json) = %v, %v, want files", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := fs.ReadFile(schemas.FS(), f)
			if err != nil {
				t.Fatal(err)
			}
			var s map[string]any
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			page := readDoc(t, name+".md")
			documented := firstCells(section(page, "## Config"))
			want := schemaPaths(s, "")
			for _, p := range want {
				if !slices.Contains(documented, p) {
					t.Errorf("docs/steps/%s.md: config field %s is in schemas/%s but has no row in the Config table", name, p, f)
				}
			}
			for _, p := range documented {
				if !slices.Contains(want, p) {
					t.Errorf("docs/steps/%s.md: the Config table documents %s, which schemas/%s does not have", name, p, f)
				}
			}
		})
	}
}

// TestStepDocsMatchOutputSchemas checks each step page's Outputs table against the step's
// output schema, schemas/steps/outputs/<step>.json, both ways, as TestStepDocsMatchSchemas
// does for config. A schema that allows outputs of any name (its additionalProperties is a
// schema) is documented by one placeholder row such as `<outputs[].name>`; a step with no
// outputs says None.
func TestStepDocsMatchOutputSchemas(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(docsDir, "*.md"))
	if err != nil || len(pages) < 2 {
		t.Fatalf("Glob(docs/steps/*.md) = %v, %v, want pages", pages, err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(filepath.Base(p), ".md")
		if name == "README" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			f := "steps/outputs/" + name + ".json"
			b, err := fs.ReadFile(schemas.FS(), f)
			if err != nil {
				t.Fatalf("docs/steps/%s.md documents a step without an output schema: write schemas/%s (%v)", name, f, err)
			}
			var s map[string]any
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			text := section(readDoc(t, name+".md"), "## Outputs")
			var documented, placeholders []string
			for _, c := range firstCells(text) {
				if strings.HasPrefix(c, "<") && strings.HasSuffix(c, ">") {
					placeholders = append(placeholders, c)
					continue
				}
				documented = append(documented, c)
			}
			want := schemaPaths(s, "")
			for _, p := range want {
				if !slices.Contains(documented, p) {
					t.Errorf("docs/steps/%s.md: output %s is in schemas/%s but has no row in the Outputs table", name, p, f)
				}
			}
			for _, p := range documented {
				if !slices.Contains(want, p) {
					t.Errorf("docs/steps/%s.md: the Outputs table documents %s, which schemas/%s does not have", name, p, f)
				}
			}
			_, anyName := s["additionalProperties"].(map[string]any)
			switch {
			case anyName && len(placeholders) != 1:
				t.Errorf("docs/steps/%s.md: schemas/%s allows outputs of any name; document them with one row like `<outputs[].name>`, not %q", name, f, placeholders)
			case !anyName && len(placeholders) > 0:
				t.Errorf("docs/steps/%s.md: the Outputs table has %q, but schemas/%s allows no outputs of other names", name, placeholders, f)
			case !anyName && len(want) == 0 && !strings.HasPrefix(strings.TrimSpace(text), "None."):
				t.Errorf("docs/steps/%s.md: schemas/%s declares no outputs; the Outputs section should say None.", name, f)
			}
		})
	}
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(docsDir, name))
	if err != nil {
		t.Fatalf("read docs/steps/%s: %v", name, err)
	}
	return string(b)
}

// section returns the text under heading, up to the next heading of the same or a higher
// level; "" when there is no such heading.
func section(doc, heading string) string {
	level := strings.Index(heading, " ")
	lines := strings.Split(doc, "\n")
	start := slices.Index(lines, heading)
	if start < 0 {
		return ""
	}
	var out []string
	for _, l := range lines[start+1:] {
		if h := strings.Index(l, " "); strings.HasPrefix(l, "#") && h > 0 && h <= level && strings.Trim(l[:h], "#") == "" {
			break
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// cellRE matches the first cell of a table row when it is one code span: | `a.b[].c` |.
var cellRE = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")

// firstCells returns the code spans that open the table rows of text, sorted.
func firstCells(text string) []string {
	var out []string
	for _, m := range cellRE.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

// executorRow returns the row of the README's executors table for executor.
func executorRow(readme, executor string) string {
	for _, l := range strings.Split(section(readme, "## Executors"), "\n") {
		if strings.HasPrefix(l, "| "+executor+" |") {
			return l
		}
	}
	return ""
}

// schemaPaths lists every property of schema s as the Config tables write it: a.b for a
// property of an object, a[].b for one of a list's items.
func schemaPaths(s map[string]any, at string) []string {
	var out []string
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		ps, _ := p.(map[string]any)
		out = append(out, at+name)
		out = append(out, schemaPaths(ps, at+name+".")...)
		if items, ok := ps["items"].(map[string]any); ok {
			out = append(out, schemaPaths(items, at+name+"[].")...)
		}
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		list, _ := s[k].([]any)
		for _, sub := range list {
			if m, ok := sub.(map[string]any); ok {
				out = append(out, schemaPaths(m, at)...)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}
