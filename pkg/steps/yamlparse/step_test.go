package yamlparse_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/yamlparse"
)

func TestGolden(t *testing.T) { steptest.Golden(t, yamlparse.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, yamlparse.Name, yamlparse.Config{})
}

func TestInfo(t *testing.T) {
	want := steps.Info{Name: "yaml-parse", Executor: "config", ReadOnly: true}
	if diff := cmp.Diff(want, yamlparse.New().Info()); diff != "" {
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
		{name: "number is float", file: "a: 1\nb: {c: [x, z]}\n", outputs: []any{out("a", "a"), out("c", "b.c[1]")}, want: map[string]any{"a": 1.0, "c": "z"}},
		{name: "first document only", file: "a: 1\n---\na: 2\n", outputs: []any{out("a", "a")}, want: map[string]any{"a": 1.0}},
		{name: "empty file", file: "\n  \n", outputs: []any{out("a", "a")}, errored: true},
		{name: "comment only", file: "# nothing\n", outputs: []any{out("a", "a")}, errored: true},
		{name: "root is a list", file: "- a\n- {b: 2}\n", outputs: []any{out("first", "$env[0]"), out("n", "len($env)"), out("b", "$env[1].b"), out("all", "$env")},
			want: map[string]any{"first": "a", "n": 2, "b": 2.0, "all": []any{"a", map[string]any{"b": 2.0}}}},
		{name: "root is a plain value", file: "v1.2.3\n", outputs: []any{out("v", "$env"), out("up", "upper($env)")}, want: map[string]any{"v": "v1.2.3", "up": "V1.2.3"}},
		{name: "root is null", file: "~\n", outputs: []any{out("v", "$env ?? 'none'")}, want: map[string]any{"v": "none"}},
		{name: "$env of an object is the document", file: "a: 1\nb: 2\n", outputs: []any{out("n", "len($env)"), out("has", "'a' in $env"), out("all", "$env")},
			want: map[string]any{"n": 2, "has": true, "all": map[string]any{"a": 1.0, "b": 2.0}}},
		{name: "key of a list root is nil", file: "- a\n", outputs: []any{out("a", "a")}, want: map[string]any{"a": nil}},
		{name: "bad yaml", file: "a: [\n", outputs: []any{out("a", "a")}, errored: true},
		{name: "missing file", file: "", outputs: []any{out("a", "a")}, errored: true, wantErr: fs.ErrNotExist},
		{name: "duplicate output name", file: "a: 1\n", outputs: []any{out("a", "a"), out("a", "b")}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "no outputs", file: "a: 1\n", outputs: []any{}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "compile error", file: "a: 1\n", outputs: []any{out("a", "a +")}, errored: true},
		{name: "runtime error on missing intermediate key", file: "a: 1\n", outputs: []any{out("a", "nope.deeper")}, errored: true},
		{name: "missing leaf is nil", file: "a: 1\n", outputs: []any{out("a", "nope")}, want: map[string]any{"a": nil}},
		{name: "optional chaining", file: "a: 1\n", outputs: []any{out("a", "nope?.deeper ?? 'dflt'")}, want: map[string]any{"a": "dflt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{}
			if tt.file != "" {
				files["f"] = []byte(tt.file)
			}
			sc := steptest.NewContext(t, map[string]any{"path": "f", "outputs": tt.outputs}, files)
			res, err := steptest.Run(t, yamlparse.New(), sc)
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
