package expr_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/expr"
)

func TestRender(t *testing.T) {
	config := map[string]any{
		"path":             "charts/${{ ctx.stage }}",
		"count":            3.0,
		"on":               true,
		"none":             nil,
		"plain":            "42",
		"${{ ctx.stage }}": "${{ vars.n }}", // keys are never evaluated
		"updates": []any{
			map[string]any{"key": "image.tag", "value": "${{ quote(vars.n) }}"},
			[]any{"${{ vars.n + 1 }}", "x"},
		},
	}
	env := &expr.Env{Ctx: map[string]any{"stage": "test"}, Vars: map[string]any{"n": 7.0}}

	got, err := expr.New().Render("config", config, env)
	if err != nil {
		t.Fatalf("Render error: %v", err)
	}
	want := map[string]any{
		"path":             "charts/test",
		"count":            3.0,
		"on":               true,
		"none":             nil,
		"plain":            "42",
		"${{ ctx.stage }}": 7.0,
		"updates": []any{
			map[string]any{"key": "image.tag", "value": "7"},
			[]any{8.0, "x"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Render mismatch (-want +got):\n%s", diff)
	}
	// The input is not modified.
	if v := config["updates"].([]any)[0].(map[string]any)["value"]; v != "${{ quote(vars.n) }}" {
		t.Errorf("Render modified its input: updates[0].value = %v", v)
	}
	// The result shares no map with the input.
	got.(map[string]any)["updates"].([]any)[1].([]any)[1] = "changed"
	if v := config["updates"].([]any)[1].([]any)[1]; v != "x" {
		t.Errorf("Render result aliases its input: updates[1][1] = %v", v)
	}
}

func TestRenderScalars(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"string", "${{ 1 + 1 }}", 2.0},
		{"number untouched", 1.5, 1.5},
		{"nil", nil, nil},
		{"nil map", map[string]any(nil), map[string]any(nil)},
		{"other types untouched", []string{"${{ 1 }}"}, []string{"${{ 1 }}"}},
	}
	e := expr.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Render("v", tt.in, nil)
			if err != nil {
				t.Fatalf("Render(%v) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Render(%v) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRenderErrorPath(t *testing.T) {
	tests := []struct {
		name     string
		in       any
		wantPath string
		wantMsg  string
	}{
		{
			name:     "nested list",
			in:       map[string]any{"updates": []any{map[string]any{"value": "${{ missing.key }}"}}},
			wantPath: "config.updates[0].value",
			wantMsg:  "config.updates[0].value: ${{ missing.key }}: cannot fetch key from <nil> (1:10)",
		},
		{
			name:     "odd key quoted",
			in:       map[string]any{"a.b c": "${{ 1 +  }}"},
			wantPath: `config["a.b c"]`,
			wantMsg:  `config["a.b c"]: ${{ 1 +  }}: unexpected token EOF`,
		},
		{
			name:     "unclosed",
			in:       []any{"ok", "${{ 1"},
			wantPath: "config[1]",
			wantMsg:  `config[1]: unclosed expression: expected "}}" but reached end of template`,
		},
		{
			name:     "first key in order",
			in:       map[string]any{"b": "${{ x.y }}", "a": "${{ z.y }}"},
			wantPath: "config.a",
			wantMsg:  "config.a: ${{ z.y }}",
		},
	}
	e := expr.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Render("config", tt.in, &expr.Env{})
			var xe *expr.Error
			if !errors.As(err, &xe) {
				t.Fatalf("Render error %v is not an *expr.Error", err)
			}
			if xe.Path != tt.wantPath {
				t.Errorf("Render error Path = %q, want %q", xe.Path, tt.wantPath)
			}
			if msg := err.Error(); len(msg) < len(tt.wantMsg) || msg[:len(tt.wantMsg)] != tt.wantMsg {
				t.Errorf("Render error = %q, want it to start with %q", msg, tt.wantMsg)
			}
		})
	}
}
