package expr_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/expr"
)

// evalCase is one template evaluated against an Env.
type evalCase struct {
	name string
	tmpl string
	want any
}

// runEval evaluates every case with a fresh Evaluator and compares the values.
func runEval(t *testing.T, env *expr.Env, tests []evalCase) {
	t.Helper()
	e := expr.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Template(tt.tmpl, env)
			if err != nil {
				t.Fatalf("Template(%q) error: %v", tt.tmpl, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Template(%q) mismatch (-want +got):\n%s", tt.tmpl, diff)
			}
		})
	}
}

// errCase is one template that must fail with a message containing every part of want.
type errCase struct {
	name string
	tmpl string
	want []string
}

// runErr evaluates every case and checks that the error mentions each expected part.
func runErr(t *testing.T, env *expr.Env, tests []errCase) {
	t.Helper()
	e := expr.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Template(tt.tmpl, env)
			if err == nil {
				t.Fatalf("Template(%q) = %#v, want error", tt.tmpl, got)
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("Template(%q) error = %q, want it to contain %q", tt.tmpl, err, part)
				}
			}
		})
	}
}
