package steps_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// pushConfig is the git-push config, as the step decodes it.
type pushConfig struct {
	Path         string `json:"path"`
	TargetBranch string `json:"targetBranch,omitempty"`
	Tag          string `json:"tag,omitempty"`
	Force        bool   `json:"force,omitempty"`
	MaxAttempts  int    `json:"maxAttempts,omitempty"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]any
		want   pushConfig
		// wantIn lists what the error must say; nil means no error.
		wantIn []string
	}{
		{
			name:   "valid",
			config: map[string]any{"path": "./out", "targetBranch": "env/dev", "maxAttempts": 3.0},
			want:   pushConfig{Path: "./out", TargetBranch: "env/dev", MaxAttempts: 3},
		},
		{
			name:   "unknown field",
			config: map[string]any{"path": "./out", "bogus": true},
			wantIn: []string{`step "push"`, "git-push", "config.bogus: unknown field"},
		},
		{
			name:   "wrong type",
			config: map[string]any{"path": 5},
			wantIn: []string{`step "push"`, "config.path"},
		},
		{
			name:   "out of range",
			config: map[string]any{"path": "out", "maxAttempts": 0},
			wantIn: []string{`step "push"`, "config.maxAttempts"},
		},
		{
			name:   "missing required field",
			config: map[string]any{},
			wantIn: []string{`step "push"`, "config.path: required field is missing"},
		},
		{
			// The schema allows provider; pushConfig has no such field, so the strict JSON
			// decoding behind the schema rejects it.
			name:   "field the schema allows but the type lacks",
			config: map[string]any{"path": "out", "provider": "github"},
			wantIn: []string{`step "push"`, "config", `unknown field "provider"`},
		},
		{
			name:   "nil config is an empty one",
			config: nil,
			wantIn: []string{`step "push"`, "path"},
		},
	}
	t.Run("step without a schema decodes strictly", func(t *testing.T) {
		sc := &steps.Context{Alias: "x", Config: map[string]any{"path": "out", "nope": 1}}
		if _, err := steps.Decode[pushConfig](sc, "no-schema-step"); err == nil || !steps.IsTerminal(err) ||
			!strings.Contains(err.Error(), `unknown field "nope"`) {
			t.Errorf("Decode(no schema, unknown field) = %v, want a terminal unknown-field error", err)
		}
		sc.Config = map[string]any{"path": "out"}
		if got, err := steps.Decode[pushConfig](sc, "no-schema-step"); err != nil || got.Path != "out" {
			t.Errorf("Decode(no schema) = %+v, %v; want path out", got, err)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := steps.Decode[pushConfig](&steps.Context{Alias: "push", Config: tt.config}, "git-push")
			checkDecode(t, tt.config, got, err, tt.want, tt.wantIn)
		})
	}
}

func checkDecode[T any](t *testing.T, config map[string]any, got T, err error, want T, wantIn []string) {
	t.Helper()
	if wantIn == nil {
		if err != nil {
			t.Fatalf("Decode(%v) = %v, want no error", config, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Decode(%v) (-want +got):\n%s", config, diff)
		}
		return
	}
	if err == nil {
		t.Fatalf("Decode(%v) = %+v, want an error", config, got)
	}
	if !errors.Is(err, steps.ErrInvalidConfig) || !steps.IsTerminal(err) {
		t.Errorf("Decode(%v) = %v; want a terminal error wrapping ErrInvalidConfig", config, err)
	}
	for _, s := range wantIn {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Decode(%v) = %q, want it to contain %q", config, err, s)
		}
	}
	if o := steps.Classify(steps.Result{}, err); o.Status != "Failed" || o.Reason != "InvalidConfig" {
		t.Errorf("Classify(Decode(%v)) = %+v, want Failed with reason InvalidConfig", config, o)
	}
}
