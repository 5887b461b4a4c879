package expr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/expr"
)

func TestBare(t *testing.T) {
	env := map[string]any{
		"response": map[string]any{"status": 200, "body": map[string]any{"items": []any{1.0, 2.0}}},
	}
	tests := []struct {
		name string
		expr string
		want any
	}{
		{"bool", "response.status == 200", true},
		{"not coerced", "'42'", "42"},
		{"int stays int", "response.status + 1", 201},
		{"list", "map(response.body.items, # * 2)", []any{2.0, 4.0}},
		{"unknown is nil", "absent", nil},
		{"no template functions", "quote", nil},
		{"delimiters are text", "'${{ x }}'", "${{ x }}"},
	}
	e := expr.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Bare(tt.expr, env)
			if err != nil {
				t.Fatalf("Bare(%q) error: %v", tt.expr, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Bare(%q) mismatch (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestBareErrors(t *testing.T) {
	e := expr.New()
	for _, src := range []string{"response.body.x.y", "1 +", "quote(1)"} {
		t.Run(src, func(t *testing.T) {
			_, err := e.Bare(src, nil)
			var xe *expr.Error
			if !errors.As(err, &xe) || xe.Expr != src {
				t.Fatalf("Bare(%q) error = %v, want an *expr.Error naming the expression", src, err)
			}
			if !strings.Contains(err.Error(), "(1:") {
				t.Errorf("Bare(%q) error = %q, want a position", src, err)
			}
		})
	}
}
