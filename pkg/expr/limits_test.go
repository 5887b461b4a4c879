package expr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/expr"
)

// TestCompileLimits: an expression with too many nodes, or one that plans nested loops over
// large constant ranges, does not compile, and the error says which limit it broke.
func TestCompileLimits(t *testing.T) {
	ev := expr.New()
	tests := []struct{ name, tmpl, want string }{
		{"too many nodes", "${{ " + strings.Repeat("1 + ", expr.MaxNodes) + "1 }}", "exceeds maximum allowed nodes"},
		{"nested ranges", "${{ len(map(1..2000, {len(map(1..2000, {# * 2}))})) }}", "plans about"},
		{"huge repeat", "${{ len(repeat('x', 100000000)) }}", "plans about"},
	}
	for _, tt := range tests {
		_, err := ev.Template(tt.tmpl, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Template = %.200v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := ev.Template("${{ len(map(1..100, {# * 2})) }}", nil); err != nil {
		t.Errorf("a small loop: %v", err)
	}
}

// TestRunTimeBudget: a loop whose size is known only at run time, nested deep enough to burn
// CPU for minutes, ends with an error wrapping ErrBudget, in templates and bare expressions.
func TestRunTimeBudget(t *testing.T) {
	list := make([]any, 3000)
	for i := range list {
		list[i] = i
	}
	burn := "sum(map(vars.l, {sum(map(vars.l, {sum(map(vars.l, {# % 7}))}))}))"
	ev := expr.New()
	_, err := ev.Template("${{ "+burn+" }}", &expr.Env{Vars: map[string]any{"l": list}})
	if !errors.Is(err, expr.ErrBudget) {
		t.Errorf("Template(burn) = %v, want ErrBudget", err)
	}
	_, err = ev.Bare(burn, map[string]any{"vars": map[string]any{"l": list}})
	if !errors.Is(err, expr.ErrBudget) {
		t.Errorf("Bare(burn) = %v, want ErrBudget", err)
	}
	text := "len(join(map(vars.l, {vars.s}), ''))"
	_, err = ev.Template("${{ "+text+" }}", &expr.Env{Vars: map[string]any{"l": list, "s": strings.Repeat("x", 100000)}})
	if !errors.Is(err, expr.ErrBudget) || !strings.Contains(err.Error(), "MiB of text") {
		t.Errorf("Template(300 MB of text) = %v, want ErrBudget on text", err)
	}
	_, err = ev.Template("${{ len(join(map(vars.l, {repeat('x', 100000)}), '')) }}", &expr.Env{Vars: map[string]any{"l": list}})
	if !errors.Is(err, expr.ErrBudget) {
		t.Errorf("Template(repeat in a loop) = %v, want ErrBudget", err)
	}
}
