package tomlupdate_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/tomlupdate"
)

func TestGolden(t *testing.T) { steptest.Golden(t, tomlupdate.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, tomlupdate.Name, tomlupdate.Config{})
}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		updates []tomlupdate.Update
		want    string
	}{
		{"string keeps comment", "a = \"x\" # c\n", []tomlupdate.Update{{Key: "a", Value: "y"}}, "a = 'y' # c\n"},
		{"string with quote is basic", "a = 'x'\n", []tomlupdate.Update{{Key: "a", Value: "it's\n"}}, "a = \"it's\\n\"\n"},
		{"float64 is a float", "n = 1\n", []tomlupdate.Update{{Key: "n", Value: 42.0}}, "n = 42.0\n"},
		{"fraction", "n = 1.0\n", []tomlupdate.Update{{Key: "n", Value: 0.25}}, "n = 0.25\n"},
		{"big float", "n = 1.0\n", []tomlupdate.Update{{Key: "n", Value: 1e20}}, "n = 1e+20\n"},
		{"int is an integer", "n = 1.0\n", []tomlupdate.Update{{Key: "n", Value: 7}}, "n = 7\n"},
		{"bool", "b = false\n", []tomlupdate.Update{{Key: "b", Value: true}}, "b = true\n"},
		{"date replaced by string", "d = 2024-01-01\n", []tomlupdate.Update{{Key: "d", Value: "x"}}, "d = 'x'\n"},
		{"dotted key", "a.b.c = 1\n", []tomlupdate.Update{{Key: "a.b.c", Value: 2.0}}, "a.b.c = 2.0\n"},
		{"quoted key with dot", "[t]\n\"example.com\" = 'v1'\n", []tomlupdate.Update{{Key: `t.example\.com`, Value: "v2"}}, "[t]\n\"example.com\" = 'v2'\n"},
		{"inline table", "img = { name = 'a', tag = 'v1' }\n", []tomlupdate.Update{{Key: "img.tag", Value: "v2"}}, "img = { name = 'a', tag = 'v2' }\n"},
		{"array item", "ports = [80, 443] # both\n", []tomlupdate.Update{{Key: "ports.1", Value: 8443.0}}, "ports = [80, 8443.0] # both\n"},
		{"multi-line array", "l = [\n  'a', # first\n  'b',\n]\n", []tomlupdate.Update{{Key: "l.0", Value: "z"}}, "l = [\n  'z', # first\n  'b',\n]\n"},
		{"nested array of tables", "[[a]]\nx = 1\n[[a.b]]\ny = 1\n[[a]]\nx = 2\n[[a.b]]\ny = 2\n[[a.b]]\ny = 3\n", []tomlupdate.Update{{Key: "a.1.b.1.y", Value: 9.0}}, "[[a]]\nx = 1\n[[a.b]]\ny = 1\n[[a]]\nx = 2\n[[a.b]]\ny = 2\n[[a.b]]\ny = 9.0\n"},
		{"sub-table of array element", "[[s]]\nn = 1\n[s.meta]\nk = 'a'\n[[s]]\nn = 2\n", []tomlupdate.Update{{Key: "s.0.meta.k", Value: "b"}}, "[[s]]\nn = 1\n[s.meta]\nk = 'b'\n[[s]]\nn = 2\n"},
		{"multi-line string replaced whole", "s = \"\"\"\nline1\nline2\"\"\"\nt = 1\n", []tomlupdate.Update{{Key: "s", Value: "one"}}, "s = 'one'\nt = 1\n"},
		{"crlf kept", "a = 1\r\nb = 2\r\n", []tomlupdate.Update{{Key: "b", Value: 3.0}}, "a = 1\r\nb = 3.0\r\n"},
		{"two updates", "a = 1\nb = 2\n", []tomlupdate.Update{{Key: "b", Value: "x"}, {Key: "a", Value: "y"}}, "a = 'y'\nb = 'x'\n"},
		{"object key part", "[t]\n0 = 'a'\n", []tomlupdate.Update{{Key: "t.:0", Value: "b"}}, "[t]\n0 = 'b'\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tomlupdate.Apply([]byte(tt.in), tt.updates)
			if err != nil {
				t.Fatalf("Apply(%q, %v) = %v, want %q", tt.in, tt.updates, err, tt.want)
			}
			if string(got) != tt.want {
				t.Errorf("Apply(%q, %v) = %q, want %q", tt.in, tt.updates, got, tt.want)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		key  string
		want error
	}{
		{"missing key", "a = 1\n", "b", tomlupdate.ErrKeyNotFound},
		{"missing nested key", "[a]\nb = 1\n", "a.c", tomlupdate.ErrKeyNotFound},
		{"key under scalar", "a = 1\n", "a.b", tomlupdate.ErrKeyNotFound},
		{"index not a number", "l = [1]\n", "l.x", tomlupdate.ErrKeyNotFound},
		{"index past end", "l = [1]\n", "l.1", tomlupdate.ErrKeyNotFound},
		{"table", "[a]\nb = 1\n", "a", tomlupdate.ErrNotScalar},
		{"inline table", "a = {b = 1}\n", "a", tomlupdate.ErrNotScalar},
		{"array", "a = [1]\n", "a", tomlupdate.ErrNotScalar},
		{"array of tables", "[[a]]\nb = 1\n", "a", tomlupdate.ErrNotScalar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tomlupdate.Apply([]byte(tt.in), []tomlupdate.Update{{Key: tt.key, Value: "x"}})
			if !errors.Is(err, tt.want) {
				t.Errorf("Apply(%q, %s) = %v, want %v", tt.in, tt.key, err, tt.want)
			}
		})
	}
	if _, err := tomlupdate.Apply([]byte("a = \n"), []tomlupdate.Update{{Key: "a", Value: "x"}}); err == nil {
		t.Errorf("Apply(bad TOML) = nil error, want a parse error")
	}
}

func TestRunErrors(t *testing.T) {
	upd := func(k string, v any) []any { return []any{map[string]any{"key": k, "value": v}} }
	tests := []struct {
		name     string
		file     string
		updates  []any
		terminal bool
		wantErr  error
	}{
		{name: "null value", file: "a = 1\n", updates: upd("a", nil), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "object value", file: "a = 1\n", updates: upd("a", map[string]any{"b": 1.0}), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "empty part", file: "a = 1\n", updates: upd("a..b", "x"), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "missing key", file: "a = 1\n", updates: upd("b", "x"), wantErr: &steps.StepError{Reason: tomlupdate.ReasonKeyPathNotFound}},
		{name: "not scalar", file: "[a]\nb = 1\n", updates: upd("a", "x"), wantErr: &steps.StepError{Reason: tomlupdate.ReasonKeyPathNotScalar}},
		{name: "bad toml", file: "a = \n", updates: upd("a", "x")},
		{name: "missing file", updates: upd("a", "x"), wantErr: fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{}
			if tt.file != "" {
				files["f.toml"] = []byte(tt.file)
			}
			sc := steptest.NewContext(t, map[string]any{"path": "f.toml", "updates": tt.updates}, files)
			before := steptest.Snapshot(t, sc.WorkDir)
			_, err := steptest.Run(t, tomlupdate.New(), sc)
			if err == nil || steps.IsTerminal(err) != tt.terminal {
				t.Fatalf("Run() = %v, want an error (terminal: %v)", err, tt.terminal)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Run() = %v, want an error wrapping %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(before, steptest.Snapshot(t, sc.WorkDir)); diff != "" {
				t.Errorf("workspace changed by a failed Run (-before +after):\n%s", diff)
			}
		})
	}
}

// FuzzApply checks that Apply never panics and that what it writes is still TOML that
// addresses the same key.
func FuzzApply(f *testing.F) {
	f.Add("a = 1 # c\n[b]\nc = 'x'\n", "b.c", "y")
	f.Add("[[s]]\nn = 1\n", "s.0.n", "it's")
	f.Add("l = [1, {x = 2}]\n", "l.1.x", "\n")
	f.Fuzz(func(t *testing.T, in, key, value string) {
		out, err := tomlupdate.Apply([]byte(in), []tomlupdate.Update{{Key: key, Value: value}})
		if err != nil {
			return
		}
		if _, err := tomlupdate.Apply(out, []tomlupdate.Update{{Key: key, Value: value}}); err != nil {
			t.Errorf("Apply(Apply(%q)) = %v; the first result %q no longer addresses %s", in, err, out, key)
		}
	})
}
