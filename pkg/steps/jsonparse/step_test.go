package jsonparse_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/jsonparse"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, jsonparse.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, jsonparse.Name, jsonparse.Config{})
}

func TestInfo(t *testing.T) {
	want := steps.Info{Name: "json-parse", Executor: "config", ReadOnly: true}
	if diff := cmp.Diff(want, jsonparse.New().Info()); diff != "" {
		t.Errorf("Info() mismatch (-want +got):\n%s", diff)
	}
}

// TestRun covers each config and file edge case by its outcome.
func TestRun(t *testing.T) {
	out := func(name, e string) map[string]any { return map[string]any{"name": name, "fromExpression": e} }
	tests := []struct {
		name     string
		file     string
		outputs  []any
		want     map[string]any
		terminal bool // the error must be terminal
		wantErr  error
		errored  bool // a retryable error
	}{
		{name: "number is float", file: `{"a": 1, "b": {"c": ["x", "y"]}}`, outputs: []any{out("a", "a"), out("c", "b.c[1]")}, want: map[string]any{"a": 1.0, "c": "y"}},
		{name: "empty file", file: " \n", outputs: []any{out("a", "a")}, errored: true},
		{name: "root is a list", file: `[1, {"b": "x"}]`, outputs: []any{out("first", "$env[0]"), out("n", "len($env)"), out("b", "$env[1].b")},
			want: map[string]any{"first": 1.0, "n": 2, "b": "x"}},
		{name: "root is a plain value", file: `"v1.2.3"`, outputs: []any{out("v", "$env")}, want: map[string]any{"v": "v1.2.3"}},
		{name: "root is a number", file: `42`, outputs: []any{out("v", "$env + 1")}, want: map[string]any{"v": 43.0}},
		{name: "data after value", file: `{"a": 1} {}`, outputs: []any{out("a", "a")}, errored: true},
		{name: "bad json", file: `{"a": `, outputs: []any{out("a", "a")}, errored: true},
		{name: "missing file", file: "", outputs: []any{out("a", "a")}, errored: true, wantErr: fs.ErrNotExist},
		{name: "duplicate output name", file: `{"a": 1}`, outputs: []any{out("a", "a"), out("a", "b")}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "no outputs", file: `{"a": 1}`, outputs: []any{}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "compile error", file: `{"a": 1}`, outputs: []any{out("a", "a +")}, errored: true},
		{name: "runtime error on missing intermediate key", file: `{"a": 1}`, outputs: []any{out("a", "nope.deeper")}, errored: true},
		{name: "missing leaf is nil", file: `{"a": 1}`, outputs: []any{out("a", "nope")}, want: map[string]any{"a": nil}},
		{name: "optional chaining", file: `{"a": 1}`, outputs: []any{out("a", "nope?.deeper ?? 'dflt'")}, want: map[string]any{"a": "dflt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{}
			if tt.file != "" {
				files["f"] = []byte(tt.file)
			}
			sc := steptest.NewContext(t, map[string]any{"path": "f", "outputs": tt.outputs}, files)
			res, err := steptest.Run(t, jsonparse.New(), sc)
			switch {
			case tt.terminal || tt.errored:
				if err == nil || steps.IsTerminal(err) != tt.terminal {
					t.Fatalf("Run() = %v, want an error (terminal: %v)", err, tt.terminal)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("Run() = %v, want an error wrapping %v", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("Run() = %v, want outputs %v", err, tt.want)
			default:
				if diff := cmp.Diff(tt.want, res.Outputs); diff != "" {
					t.Errorf("Run() outputs mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}
