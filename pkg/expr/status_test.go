package expr_test

import (
	"errors"
	"testing"

	"github.com/drayhq/dray/pkg/expr"
)

func TestStatusFunctions(t *testing.T) {
	statuses := map[string]string{"clone": "Succeeded", "pr::open": "Failed"}
	lookup := func(alias string) string { return statuses[alias] }

	runEval(t, &expr.Env{Status: lookup}, []evalCase{
		{"success without failures", "${{ success() }}", true},
		{"failure without failures", "${{ failure() }}", false},
		{"always", "${{ always() }}", true},
		{"status", "${{ status('clone') }}", "Succeeded"},
		{"status of task step", "${{ status('pr::open') == 'Failed' }}", true},
		{"unknown status is empty", "${{ status('nope') == '' }}", true},
	})
	runEval(t, &expr.Env{Status: lookup, Failed: true}, []evalCase{
		{"success after a failure", "${{ success() }}", false},
		{"failure after a failure", "${{ failure() }}", true},
		{"always after a failure", "${{ always() }}", true},
	})
	runErr(t, &expr.Env{Status: lookup}, []errCase{
		{"empty alias", "${{ status('') }}", []string{"status: alias must not be empty", "(1:"}},
		{"alias not a string", "${{ status(1) }}", []string{"status: alias must be a string"}},
		{"no alias", "${{ status() }}", []string{"status: expected 1 arguments, got 0"}},
		{"success with argument", "${{ success(1) }}", []string{"success: expected 0 arguments, got 1"}},
	})
}

func TestStatusFunctionsUnavailable(t *testing.T) {
	e := expr.New()
	for _, tmpl := range []string{"${{ success() }}", "${{ failure() }}", "${{ always() }}", "${{ status('a') }}"} {
		t.Run(tmpl, func(t *testing.T) {
			_, err := e.Template(tmpl, &expr.Env{Failed: true})
			if !errors.Is(err, expr.ErrStatusUnavailable) {
				t.Fatalf("Template(%q) error = %v, want ErrStatusUnavailable", tmpl, err)
			}
		})
	}
}
