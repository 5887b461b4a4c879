package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/schema"
)

// ValidateConfig checks sc.Config against schemas/steps/<step>.json, when the step has a
// schema. Whatever runs steps (pkg/executor, dray run) calls it once, before Step.Run, so an
// invalid config fails the step before the step touches the workspace; Decode then does not
// check again. A bad config is a terminal error (the step finishes Failed and is not retried)
// that wraps ErrInvalidConfig and names the step alias and every bad field with its reason.
func ValidateConfig(sc *Context, step string) error {
	config := sc.Config
	if config == nil {
		config = map[string]any{}
	}
	if err := schema.Validate("steps/"+step, config); err != nil {
		var se *schema.Error
		switch {
		case errors.As(err, &se):
			for i := range se.Problems {
				se.Problems[i].Path = configPath(se.Problems[i].Path)
			}
			return invalidConfig(sc, step, se.Error())
		case !errors.Is(err, schema.ErrNoSchema):
			return err
		}
	}
	sc.validated = step
	return nil
}

func invalidConfig(sc *Context, step, detail string) error {
	return Terminal(fmt.Errorf("step %q (%s): %w: %s", sc.Alias, step, ErrInvalidConfig, detail))
}

// Decode decodes sc.Config into T, rejecting unknown fields. Unless ValidateConfig already
// passed for this Context, it first validates the config against the step's schema as
// ValidateConfig does. A bad config is a terminal error that wraps ErrInvalidConfig and names
// the step alias and every bad field.
func Decode[T any](sc *Context, step string) (T, error) {
	var cfg T
	invalid := func(detail string) error { return invalidConfig(sc, step, detail) }
	config := sc.Config
	if config == nil {
		config = map[string]any{}
	}
	if sc.validated != step {
		if err := ValidateConfig(sc, step); err != nil {
			return cfg, err
		}
	}
	raw, err := json.Marshal(config)
	if err != nil {
		return cfg, invalid(err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, invalid("config: " + err.Error())
	}
	return cfg, nil
}

func configPath(p string) string {
	if p == "" {
		return "config"
	}
	if p[0] == '[' {
		return "config" + p
	}
	return "config." + p
}
