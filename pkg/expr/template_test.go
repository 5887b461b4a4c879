package expr_test

import (
	"errors"
	"testing"

	"github.com/drayhq/dray/pkg/expr"
)

// examples is the environment of docs/expressions.md#values-and-types: x = "123", o = {"a": 1}.
func examples() *expr.Env {
	return &expr.Env{Vars: map[string]any{"x": "123", "o": map[string]any{"a": 1.0}}}
}

func TestTemplateCoercion(t *testing.T) {
	// Every example row of docs/expressions.md#values-and-types, with x and o read from vars.
	runEval(t, examples(), []evalCase{
		{"no delimiter stays a string", "42", "42"},
		{"number", "${{ 40 + 2 }}", 42.0},
		{"quoted number", "${{ quote(40 + 2) }}", "42"},
		{"numeric string becomes number", "${{ vars.x }}", 123.0},
		{"prefix keeps string", "v${{ vars.x }}", "v123"},
		{"two expressions concatenate", "${{ vars.x }}${{ vars.x }}", 123123.0},
		{"bool", "${{ true }}", true},
		{"bool from string", "${{ 'true' }}", true},
		{"object", "${{ vars.o }}", map[string]any{"a": 1.0}},
		{"object after prefix", "prefix ${{ vars.o }}", `prefix {"a":1}`},
		{"quoted object", "${{ quote(vars.o) }}", `{"a":1}`},
		{"absent var is null", "${{ vars.absent }}", nil},
		{"block scalar drops newline", "${{ 42 }}\n", 42.0},
		{"block scalar quoted keeps newline", "${{ quote(42) }}\n", "42\n"},
		{"literal quotes are stripped", `"${{ vars.x }}"`, "123"},
	})
}

func TestTemplateCoercionNotes(t *testing.T) {
	// The notes under #values-and-types and the order of the coercion steps.
	runEval(t, &expr.Env{Vars: map[string]any{"tag": "0123"}}, []evalCase{
		{"date-like tag", "${{ '20260331' }}", 20260331.0},
		{"leading zero lost", "${{ vars.tag }}", 123.0},
		{"exponent", "${{ '1e3' }}", 1000.0},
		{"t is a bool", "${{ 't' }}", true},
		{"F is a bool", "${{ 'F' }}", false},
		{"TRUE is a bool", "${{ 'TRUE' }}", true},
		{"1 is a number not a bool", "${{ '1' }}", 1.0},
		{"null", "${{ nil }}", nil},
		{"list", "${{ [1, 'a'] }}", []any{1.0, "a"}},
		{"JSON string literal decoded", "${{ '  \"a\"x' }}", `  "a"x`},
		{"quoted JSON kept raw", `${{ '"a\\"b"' }}`, `a\"b`},
		{"single quote char stays", `${{ '"' }}`, `"`},
		{"whitespace around JSON", "${{ ' 42 ' }}", 42.0},
		{"plain string keeps newline", "abc ${{ 1 }}\n", "abc 1\n"},
		{"only one newline removed", "a${{ 1 }}\n\n", "a1\n\n"},
		{"JSON may end in a newline", "${{ 42 }}\n\n", 42.0},
		{"float text", "${{ 1.5 }}", 1.5},
		{"struct via JSON names", "${{ warehouse('w') }}", map[string]any{"kind": "Warehouse", "name": "w"}},
		{"text outside copied verbatim", "a }} b %} ${{ 1 }} c", "a }} b %} 1 c"},
		{"no delimiter keeps closing braces", "a }} b", "a }} b"},
		{"percent delimiters", `${% {"a": {"b": 1}} %}`, map[string]any{"a": map[string]any{"b": 1.0}}},
		{"both delimiters in one string", "${{ 1 }}-${% 2 %}", "1-2"},
		{"earliest delimiter wins", "${% '}}' %}", "}}"},
		{"dollar without brace is text", "$ {{ 1 }} ${ x", "$ {{ 1 }} ${ x"},
	})
}

func TestTemplateErrors(t *testing.T) {
	runErr(t, examples(), []errCase{
		{"missing variable", "${{ missing.key }}", []string{"${{ missing.key }}", "cannot fetch key from <nil>", "(1:"}},
		{"syntax error", "${{ vars.x + }}", []string{"${{ vars.x + }}", "unexpected token EOF", "(1:"}},
		{"closing braces inside a string end the expression", "${{ '{{.domain}}' }}", []string{"${{ '{{.domain}}", "(1:"}},
		{"unknown function", "${{ nope(1) }}", []string{"nope(1)", "(1:"}},
		{"wrong arity", "${{ quote(1, 2) }}", []string{"quote(1, 2)", "(1:"}},
		{"wrong argument type", "${{ semverParse(1) }}", []string{"semverParse(1)", "(1:"}},
		{"infinite result", "${{ 1 / 0 }}", []string{"${{ 1 / 0 }}", "unsupported value"}},
		{"function result", "${{ imageFrom }}", []string{"${{ imageFrom }}", "unsupported type"}},
		{"NaN text", "${{ 'NaN' }}", []string{"NaN", "quote()"}},
		{"Inf text", "${{ '-Inf' }}", []string{"-Inf"}},
		{"second expression fails", "${{ 1 }} ${% vars.o.y.z %}", []string{"${% vars.o.y.z %}", "cannot fetch z from <nil>"}},
	})
}

func TestTemplateUnclosed(t *testing.T) {
	tests := []struct {
		name string
		tmpl string
		want string
	}{
		{"curly", "a ${{ 1 + 1", `unclosed expression: expected "}}" but reached end of template`},
		{"curly after a good one", "${{ 1 }} ${{ 2 %}", `unclosed expression: expected "}}" but reached end of template`},
		{"percent", "${% 1 }}", `unclosed expression: expected "%}" but reached end of template`},
	}
	e := expr.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Template(tt.tmpl, nil)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Template(%q) error = %v, want %q", tt.tmpl, err, tt.want)
			}
			if !errors.Is(err, expr.ErrUnclosed) {
				t.Errorf("Template(%q) error does not match ErrUnclosed", tt.tmpl)
			}
		})
	}
}

func TestTemplateErrorType(t *testing.T) {
	_, err := expr.New().Template("x ${{ vars.a.b }} y", nil)
	var xe *expr.Error
	if !errors.As(err, &xe) {
		t.Fatalf("Template error %v is not an *expr.Error", err)
	}
	if xe.Expr != "${{ vars.a.b }}" || xe.Path != "" {
		t.Errorf("Error{Path: %q, Expr: %q}, want {Path: \"\", Expr: %q}", xe.Path, xe.Expr, "${{ vars.a.b }}")
	}
}

func TestTemplateEnvironment(t *testing.T) {
	env := &expr.Env{
		Ctx: map[string]any{
			"project": "demo",
			"targetFreight": map[string]any{
				"name": "f1", "alias": "fluffy-cat",
				"origin": map[string]any{"name": "wh"},
			},
			"meta": map[string]any{"step": map[string]any{"alias": "pr::open"}},
		},
		Vars: map[string]any{"n": 2.0},
		Outputs: map[string]any{
			"open-pr": map[string]any{"pr": map[string]any{"id": 7.0}},
			"clone":   map[string]any{"commits": map[string]any{"./src": "abc"}},
		},
		TaskOutputs: map[string]any{"inner": map[string]any{"x": "y"}},
	}
	runEval(t, env, []evalCase{
		{"ctx", "${{ ctx.project }}/${{ ctx.targetFreight.origin.name }}", "demo/wh"},
		{"alias", "${{ ctx.targetFreight.alias }}", "fluffy-cat"},
		{"step alias", "${{ ctx.meta.step.alias }}", "pr::open"},
		{"bracket alias", "${{ outputs['open-pr'].pr.id }}", 7.0},
		{"bracket key", "${{ outputs.clone.commits['./src'] }}", "abc"},
		{"absent output is nil", "${{ outputs.absent == nil }}", true},
		{"optional chaining", "${{ outputs.absent?.pr ?? 'default' }}", "default"},
		{"task outputs", "${{ task.outputs.inner.x }}", "y"},
		{"vars arithmetic", "${{ vars.n * 21 }}", 42.0},
		{"env has the variables", "${{ 'vars' in $env && 'ctx' in $env }}", true},
		{"builtins", "${{ upper('a') + string(len([1,2])) }}", "A2"},
	})

	runErr(t, &expr.Env{}, []errCase{
		{"no task outside tasks", "${{ task.outputs }}", []string{"cannot fetch outputs from <nil>"}},
	})
	runEval(t, nil, []evalCase{
		{"nil env", "${{ vars.x ?? 'none' }}", "none"},
	})
}
