package jsonupdate_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/jsonupdate"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, jsonupdate.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, jsonupdate.Name, jsonupdate.Config{})
}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		updates []jsonupdate.Update
		want    string
	}{
		{"replace string keeps layout", "{\n  \"a\": \"x\",\n  \"b\": 1\n}\n", []jsonupdate.Update{{Key: "a", Value: "y"}}, "{\n  \"a\": \"y\",\n  \"b\": 1\n}\n"},
		{"float renders without zeroes", `{"a": 1}`, []jsonupdate.Update{{Key: "a", Value: 2.0}}, `{"a": 2}`},
		{"bool", `{"a": 1}`, []jsonupdate.Update{{Key: "a", Value: true}}, `{"a": true}`},
		{"creates intermediate objects", `{}`, []jsonupdate.Update{{Key: "a.b", Value: "c"}}, `{"a":{"b":"c"}}`},
		{"append to list", `{"l": [1]}`, []jsonupdate.Update{{Key: "l.-1", Value: 2.0}}, `{"l": [1,2]}`},
		{"list index", `{"l": [1, 2]}`, []jsonupdate.Update{{Key: "l.1", Value: 5.0}}, `{"l": [1, 5]}`},
		{"escaped dot", `{"example.com/v": "1"}`, []jsonupdate.Update{{Key: `example\.com/v`, Value: "2"}}, `{"example.com/v": "2"}`},
		{"string is escaped", `{"a": ""}`, []jsonupdate.Update{{Key: "a", Value: "say \"hi\"\n"}}, `{"a": "say \"hi\"\n"}`},
		{"later update wins", `{"a": 0}`, []jsonupdate.Update{{Key: "a", Value: 1.0}, {Key: "a", Value: 2.0}}, `{"a": 2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonupdate.Apply([]byte(tt.in), tt.updates)
			if err != nil {
				t.Fatalf("Apply(%q, %v) = %v, want %q", tt.in, tt.updates, err, tt.want)
			}
			if string(got) != tt.want {
				t.Errorf("Apply(%q, %v) = %q, want %q", tt.in, tt.updates, got, tt.want)
			}
		})
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
		{name: "null value", file: `{}`, updates: upd("a", nil), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "object value", file: `{}`, updates: upd("a", map[string]any{"b": 1.0}), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "list value", file: `{}`, updates: upd("a", []any{1.0}), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "empty part", file: `{}`, updates: upd("a..b", "x"), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "bad escape", file: `{}`, updates: upd(`a\b`, "x"), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "no updates", file: `{}`, updates: []any{}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "invalid json", file: `{"a": `, updates: upd("a", "x")},
		{name: "missing file", updates: upd("a", "x"), wantErr: fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{}
			if tt.file != "" {
				files["f.json"] = []byte(tt.file)
			}
			sc := steptest.NewContext(t, map[string]any{"path": "f.json", "updates": tt.updates}, files)
			before := steptest.Snapshot(t, sc.WorkDir)
			_, err := steptest.Run(t, jsonupdate.New(), sc)
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
