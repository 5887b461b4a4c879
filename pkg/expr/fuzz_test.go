package expr_test

import (
	"encoding/json"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

// FuzzTemplate checks that no template panics, that a template without delimiters comes back
// unchanged, and that every successful result is a JSON value.
func FuzzTemplate(f *testing.F) {
	for _, seed := range []string{
		"", "42", "plain text }} %}", "${{ 40 + 2 }}", "v${{ vars.x }}", "${{ quote(vars.o) }}\n",
		`"${{ vars.x }}"`, "${% {'a': {'b': 1}} %}", "${{ 1", "${% 1 }}", "${{ '{{.domain}}' }}",
		"${{ imageFrom('img').Tag }}", "${{ chartFrom('c', 'n', warehouse('w')) }}",
		"${{ commitFrom('git@h:x/y.git') }}", "${{ semverParse('v1.2').IncMajor.Major }}",
		"${{ semverDiff(vars.x, '1') }}", "${{ asYAML(vars.o) }}${{ asJSON(nil) }}",
		"${{ status('a') }} ${{ success() }}", "${{ 'NaN' }}", "${{ 1/0 }}", "${{ missing.key }}",
		"${{ let v = semverParse('1'); v.Minor }}", "${{ map(1..3, # * 2) }}",
		"${{ secret('db').password }}", "${{ int(secret('db').password) }}", "${{ configMap('') }}",
		"${{ freightMetadata('f') ?? stageMetadata('') }}", "${{ artifactFrom('s', warehouse('w')) }}",
	} {
		f.Add(seed)
	}
	e := expr.New()
	env := &expr.Env{
		Ctx:  map[string]any{"project": "p", "stage": "s"},
		Vars: map[string]any{"x": "123", "o": map[string]any{"a": 1.0}},
		Freight: []v1.Freight{{
			Origin:  v1.FreightOrigin{Kind: "Warehouse", Name: "w"},
			Images:  []v1.Image{{RepoURL: "img", Tag: "1.0"}},
			Commits: []v1.GitCommit{{RepoURL: "https://h/x/y", ID: "abc"}},
			Charts:  []v1.Chart{{RepoURL: "c", Name: "n", Version: "1"}},
		}},
		Status: func(string) string { return "Succeeded" },
		Secret: func(name string) (map[string]string, error) {
			return map[string]string{"password": "hunter2"}, nil
		},
	}
	f.Fuzz(func(t *testing.T, tmpl string) {
		got, err := e.Template(tmpl, env)
		if !strings.Contains(tmpl, "${{") && !strings.Contains(tmpl, "${%") {
			if err != nil || got != tmpl {
				t.Fatalf("Template(%q) = %#v, %v; want it unchanged", tmpl, got, err)
			}
			return
		}
		if err != nil {
			return
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("Template(%q) = %#v, not JSON-encodable: %v", tmpl, got, err)
		}
		_, _ = e.Render("f", map[string]any{"k": []any{tmpl}}, env)
		if _, _, err := e.RenderRedacted("f", tmpl, env); err != nil && strings.Contains(err.Error(), "hunter2") && !strings.Contains(tmpl, "hunter2") {
			t.Fatalf("RenderRedacted(%q) error %q shows the secret", tmpl, err)
		}
		_ = expr.NormalizeGitURL(tmpl)
	})
}
