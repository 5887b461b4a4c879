package steps_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/steps"
)

func TestValidateConfig(t *testing.T) {
	bad := &steps.Context{Alias: "push", Config: map[string]any{"path": "out", "bogus": true}}
	err := steps.ValidateConfig(bad, "git-push")
	if !errors.Is(err, steps.ErrInvalidConfig) || !steps.IsTerminal(err) || !strings.Contains(err.Error(), "config.bogus: unknown field") {
		t.Errorf("ValidateConfig(%v) = %v, want a terminal ErrInvalidConfig naming config.bogus", bad.Config, err)
	}
	if err := steps.ValidateConfig(&steps.Context{Alias: "x", Config: map[string]any{"any": 1}}, "no-such-step"); err != nil {
		t.Errorf("ValidateConfig(step without a schema) = %v, want nil", err)
	}
}

// TestDecodeAfterValidateConfig: once ValidateConfig passed, Decode does not check the schema
// again (it still decodes strictly); without it, Decode checks the schema itself.
func TestDecodeAfterValidateConfig(t *testing.T) {
	// maxAttempts: 0 breaks the schema (minimum 1) but decodes fine.
	cfg := map[string]any{"path": "out", "maxAttempts": 0}
	if _, err := steps.Decode[pushConfig](&steps.Context{Alias: "push", Config: cfg}, "git-push"); !errors.Is(err, steps.ErrInvalidConfig) {
		t.Errorf("Decode(%v) without ValidateConfig = %v, want ErrInvalidConfig", cfg, err)
	}
	sc := &steps.Context{Alias: "push", Config: map[string]any{"path": "out", "maxAttempts": 2}}
	if err := steps.ValidateConfig(sc, "git-push"); err != nil {
		t.Fatalf("ValidateConfig(%v) = %v, want nil", sc.Config, err)
	}
	sc.Config["maxAttempts"] = 0 // changed after validation: Decode trusts the earlier check
	if _, err := steps.Decode[pushConfig](sc, "git-push"); err != nil {
		t.Errorf("Decode after ValidateConfig = %v, want nil (the schema is checked once)", err)
	}
}
