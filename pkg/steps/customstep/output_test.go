package customstep

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

func TestParseOutput(t *testing.T) {
	tests := []struct {
		name   string
		output *v1.CustomStepOutput
		raw    string
		want   map[string]any
		err    string
	}{
		{name: "key-value default", raw: "a=1\nnot a pair\nb=x=y\n", want: map[string]any{"a": "1", "b": "x=y"}},
		{name: "YAML scalar", output: &v1.CustomStepOutput{Format: "YAML"}, raw: "- 1\n- 2\n", want: map[string]any{"output": []any{float64(1), float64(2)}}},
		{name: "file format from extension", output: &v1.CustomStepOutput{Source: &v1.CustomStepOutputSource{Type: "File", Path: "o.json"}}, raw: `"s"`, want: map[string]any{"output": "s"}},
		{name: "empty JSON", output: &v1.CustomStepOutput{Format: "JSON"}, raw: "", want: map[string]any{}},
		{name: "too large", output: &v1.CustomStepOutput{Format: "Text"}, raw: strings.Repeat("x", MaxOutput), err: "more than the limit"},
		{name: "file without path", output: &v1.CustomStepOutput{Source: &v1.CustomStepOutputSource{Type: "File"}}, err: "needs a path"},
		{name: "unknown format", output: &v1.CustomStepOutput{Format: "XML"}, err: `"XML" is not`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := outputOf(tt.output)
			var got map[string]any
			if err == nil {
				got, err = o.parse(expr.New(), []byte(tt.raw))
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parse = %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQuantities(t *testing.T) {
	for q, want := range map[string]int64{"128Mi": 128 << 20, "1G": 1e9, "1048576": 1 << 20, "0.5Gi": 1 << 29} {
		if got, err := parseMemory(q); err != nil || got != want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d", q, got, err, want)
		}
	}
	for q, want := range map[string]int64{"500m": 500, "2": 2000, "0.25": 250} {
		if got, err := parseCPU(q); err != nil || got != want {
			t.Errorf("parseCPU(%q) = %d, %v; want %d", q, got, err, want)
		}
	}
	for _, q := range []string{"", "lots", "-1", "12Qi"} {
		if _, err := parseMemory(q); err == nil {
			t.Errorf("parseMemory(%q) = nil error, want one", q)
		}
	}
}
