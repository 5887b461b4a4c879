package main

import (
	"path/filepath"
	"strings"
	"testing"
)

const exprEnvJSON = `{
  "ctx": {"stage": "dev"},
  "vars": {"replicas": 3, "name": "web"},
  "outputs": {"push": {"branch": "main"}},
  "task": {"outputs": {"tag": {"x": "v9"}}},
  "freight": [{"metadata": {"name": "f1"}, "origin": {"kind": "Warehouse", "name": "web"},
               "images": [{"repoURL": "ghcr.io/shop/web", "tag": "v2.0.1"}]}]
}`

func TestExprEval(t *testing.T) {
	env := filepath.Join(writeManifests(t, map[string]string{"env.json": exprEnvJSON}), "env.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"template", []string{"${{ 40 + 2 }}"}, "42\n"},
		{"quoted template", []string{"${{ quote(40 + 2) }}"}, "\"42\"\n"},
		{"bare", []string{"40 + 2"}, "42\n"},
		{"bare without env", []string{"vars.replicas"}, "null\n"},
		{"text around", []string{"v-${{ 1 + 1 }}"}, "\"v-2\"\n"},
		{"object", []string{`${{ {"a": [1, true]} }}`}, "{\n  \"a\": [\n    1,\n    true\n  ]\n}\n"},
		{"env vars and ctx", []string{"${{ vars.name }}-${{ ctx.stage }}-${{ vars.replicas * 2 }}", "--env", env}, "\"web-dev-6\"\n"},
		{"env freight", []string{"${{ imageFrom('ghcr.io/shop/web').Tag }}", "--env", env}, "\"v2.0.1\"\n"},
		{"env outputs", []string{"${{ outputs.push.branch }}/${{ task.outputs.tag.x }}", "--env", env}, "\"main/v9\"\n"},
		{"bare env", []string{"vars.replicas * 2", "--env", env}, "6\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := dray(t, "", append([]string{"expr", "eval"}, tt.args...)...)
			if err != nil {
				t.Fatalf("dray expr eval %q: %v\n%s", tt.args, err, out)
			}
			if out != tt.want {
				t.Errorf("dray expr eval %q = %q, want %q", tt.args, out, tt.want)
			}
		})
	}
}

// TestExprEvalErrors: an error names the expression and, from expr-lang, the position.
func TestExprEvalErrors(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{"${{ 40 + }}", []string{"${{ 40 + }}", "(1:"}},
		{"quote(40 + 2)", []string{"quote(40 + 2)", "(1:"}}, // template functions are not bare
		{"${{ 1 ", []string{"unclosed"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			out, err := dray(t, "", "expr", "eval", tt.expr)
			if err == nil {
				t.Fatalf("dray expr eval %q succeeded: %s", tt.expr, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("dray expr eval %q error %q lacks %q", tt.expr, err, w)
				}
			}
		})
	}
	bad := filepath.Join(writeManifests(t, map[string]string{"env.json": `{"varz": {}}`}), "env.json")
	if _, err := dray(t, "", "expr", "eval", "1", "--env", bad); err == nil || !strings.Contains(err.Error(), "varz") {
		t.Errorf("dray expr eval with an unknown env key = %v, want it named", err)
	}
}
